"""Click's usage errors in the user's language.

Click prints its own English ("Error: Invalid value for '[PATH]': Path '/x' does not
exist.", "No such option", "Try 'tongxin check --help' for help."). :class:`LocalisedGroup`
runs the command line as Click does and prints those errors from the ``cli`` catalogue
instead, in the language of the user's environment (:func:`tongxin.commandline.user_language`).
An error Click words in a way not recognised here keeps Click's detail inside our sentence.
"""

from __future__ import annotations

import difflib
import re
import sys
from typing import Any

import click

from tongxin.commandline import user_language
from tongxin.i18n import translate

_PATH_MISSING = re.compile(r"^(?:Path|File|Directory) '(?P<path>.*)' does not exist\.?$")
_PATH_KIND = re.compile(
    r"^(?:Path|File|Directory) '(?P<path>.*)' is a (?P<kind>file|directory)\.?$"
)
_CHOICE = re.compile(r"^'(?P<value>.*)' is not one of (?P<choices>.*?)\.?$", re.S)
_EXTRA = re.compile(r"^Got unexpected extra arguments? \((?P<args>.*)\)$")
_NO_COMMAND = re.compile(r"^No such command '(?P<name>.*)'\.")


def _detail(error: click.ClickException, language: str) -> str:
    def t(key: str, **values: Any) -> str:
        return translate(language, f"cli.usage_{key}", **values)

    ctx = getattr(error, "ctx", None)
    param = getattr(error, "param", None)
    name = param.get_error_hint(ctx) if param is not None and ctx is not None else ""
    name = name or getattr(error, "param_hint", None) or ""
    text = error.format_message() if not isinstance(error, click.BadParameter) else error.message
    if isinstance(error, click.NoSuchOption):
        found = t("no_such_option", option=error.option_name)
        if error.possibilities:
            found += t("did_you_mean", options=", ".join(sorted(error.possibilities)))
        return found
    if isinstance(error, click.MissingParameter):
        return t("missing", param=name or "?")
    if isinstance(error, click.BadParameter):
        for pattern, key in ((_PATH_MISSING, "path_missing"), (_PATH_KIND, "path_kind")):
            match = pattern.match(text)
            if match:
                values = match.groupdict()
                if "kind" in values:
                    values["kind"] = t(f"kind_{values['kind']}")
                return t(key, param=name, **values)
        match = _CHOICE.match(text)
        if match:
            return t("choice", param=name, **match.groupdict())
        return t("bad_value", param=name, detail=text)
    match = _EXTRA.match(text)
    if match:
        return t("extra", args=match["args"])
    match = _NO_COMMAND.match(text)
    if match:
        return t("no_such_command", name=match["name"]) + _commands_like(ctx, match["name"], t)
    return text


def _commands_like(ctx: click.Context | None, name: str, t: Any) -> str:
    """``tongxin new`` → ", did you mean new-branch?": the commands it begins, or is close to."""
    group = ctx.command if ctx is not None else None
    if not isinstance(group, click.Group) or ctx is None:
        return ""
    names = group.list_commands(ctx)
    found = [c for c in names if c.startswith(name.lower())] if name else []
    found = found or difflib.get_close_matches(name.lower(), names, n=3)
    return t("did_you_mean", options=", ".join(found)) if found else ""


def print_usage_error(error: click.ClickException, language: str) -> None:
    """What Click's ``show()`` prints, in ``language``."""
    ctx = getattr(error, "ctx", None)
    if ctx is not None and isinstance(error, click.UsageError):
        usage = ctx.get_usage().replace("Usage: ", translate(language, "cli.usage_usage"), 1)
        click.echo(usage, err=True)
        path = ctx.command_path
        click.echo(translate(language, "cli.usage_try_help", command=path), err=True)
        click.echo(err=True)
    click.echo(translate(language, "cli.usage_error", detail=_detail(error, language)), err=True)


class _Formatter(click.HelpFormatter):
    """``--help`` with Click's own headings ("Usage:", "Options", "Commands") translated."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        usage = prefix or translate(user_language(), "cli.usage_usage")
        super().write_usage(prog, args, usage)

    def write_heading(self, heading: str) -> None:
        if heading and not heading.isascii():  # 选项： as Chinese writes it
            self.write(f"{'':>{self.current_indent}}{heading}：\n")
        else:
            super().write_heading(heading)

    def section(self, name: str) -> Any:
        key = {"Options": "cli.help_heading_options", "Commands": "cli.help_heading_commands"}
        return super().section(translate(user_language(), key[name]) if name in key else name)


class _Context(click.Context):
    formatter_class = _Formatter


def _help_option(option: click.Option | None) -> click.Option | None:
    if option is not None:
        option.help = translate(user_language(), "cli.help_option")
    return option


class LocalisedCommand(click.Command):
    """A command whose ``--help`` is in the user's language, Click's own lines included."""

    context_class = _Context

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _help_option(super().get_help_option(ctx))


class LocalisedGroup(click.Group):
    """A command group whose usage errors and help speak the user's language (its commands
    and groups too)."""

    context_class = _Context
    command_class = LocalisedCommand
    group_class = type  # subgroups are LocalisedGroups

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _help_option(super().get_help_option(ctx))

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            # Not standalone, Click returns what it would have exited with (--help: 0) or
            # the command's return value; exit as standalone Click does.
            result = super().main(*args, **kwargs)
        except click.ClickException as error:
            print_usage_error(error, user_language())
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo(translate(user_language(), "cli.usage_aborted"), err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) and not isinstance(result, bool) else 0)
