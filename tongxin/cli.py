"""The ``tongxin`` command line. Commands stay thin: the work happens in the modules."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from tongxin.clierrors import LocalisedGroup
from tongxin.commandline import help_text


@click.group(cls=LocalisedGroup, help=help_text("main"))
@click.version_option(package_name="tongxin", help=help_text("opt_version"))
def main() -> None:
    """同心 Tongxin: a federated static-site generator for organisations made of many branches."""


@main.command(help=help_text("check"))
@click.argument("path", default=".", type=click.Path(exists=True, path_type=Path))
@click.option("--staged", is_flag=True, help=help_text("opt_staged"))
def check(path: Path, staged: bool) -> None:
    """Validate a branch's content: print one `path:line: message` per problem, exit 1 if any."""
    from tongxin.commandline import run_check

    lines, status = run_check(path, staged=staged)
    for line in lines:
        click.echo(line)
    sys.exit(status)


# --- build, serve, new-branch (tongxin/build.py, tongxin/scaffold.py) -----------------


def _print_failure(error: Exception, language: str) -> None:
    from tongxin.i18n import translate
    from tongxin.problems import errors_in

    problems = getattr(error, "problems", [str(error)])
    for problem in problems:
        click.echo(str(problem))
    # the errors that stopped it, as tongxin check counts them (its warnings are not)
    count = len(errors_in(problems)) or len(problems)
    click.echo(translate(language, "build.failed", count=count), err=True)


@main.command(help=help_text("build"))
@click.argument(
    "directory",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help=help_text("opt_output"),
)
@click.option("--siteurl", help=help_text("opt_siteurl"))
def build(directory: Path, output: Path | None, siteurl: str | None) -> None:
    """Validate and build a branch site; on any problem print `path:line: message`, exit 1."""
    from tongxin.build import BuildFailed, build_site
    from tongxin.i18n import translate
    from tongxin.settings import load_site

    language = str(load_site(directory).get("language") or "zh-CN")
    try:
        result = build_site(directory, output, siteurl)
    except BuildFailed as error:
        _print_failure(error, language)
        sys.exit(1)
    # one closing line, always: what was built and where
    click.echo(
        translate(
            language,
            "build.done",
            entries=result.entries,
            seconds=f"{result.seconds:.1f}",
            output=result.output,
        )
    )


@main.command(help=help_text("serve"))
@click.argument(
    "directory",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--port", default=8000, show_default=True, help=help_text("opt_port"))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help=help_text("opt_preview"),
)
@click.option("--editor", is_flag=True, help=help_text("opt_editor"))
def serve(directory: Path, port: int, output: Path | None, editor: bool) -> None:
    """Preview on 127.0.0.1: rebuilds on every save and reloads the open page."""
    import socket

    from tongxin.build import BuildFailed, build_site, output_is_current
    from tongxin.i18n import translate
    from tongxin.serve import serve_preview
    from tongxin.settings import CACHE_DIR, load_site

    language = str(load_site(directory).get("language") or "zh-CN")
    siteurl = f"http://127.0.0.1:{port}"
    # A separate folder: output/ must keep the real site URL for deployment.
    out = output or directory / CACHE_DIR / "preview"
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            click.echo(translate(language, "cli.port_busy", port=port), err=True)
            sys.exit(1)
    if not output_is_current(directory, out, siteurl):
        try:
            build_site(directory, out, siteurl)
        except BuildFailed as error:
            _print_failure(error, language)
            sys.exit(1)
    serve_preview(directory, out, port, language, editor=editor)


@main.command("new-branch", help=help_text("new_branch"))
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", required=True, help=help_text("opt_name"))
@click.option("--url", required=True, help=help_text("opt_url"))
@click.option(
    "--language",
    default="zh-CN",
    show_default=True,
    type=click.Choice(["zh-CN", "zh-TW", "en"]),
    help=help_text("opt_language"),
)
@click.option(
    "--tongxin-source",
    "source",
    help=help_text("opt_source"),
)
def new_branch(directory: Path, name: str, url: str, language: str, source: str | None) -> None:
    """Create a git repository for one branch: content, samples, CI, pre-commit hook."""
    from tongxin.i18n import translate
    from tongxin.scaffold import ScaffoldError, create_branch

    try:
        create_branch(directory, name=name, url=url, language=language, tongxin_source=source)
    except ScaffoldError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(translate(language, "cli.created", path=directory, name=name))


# --- federate, registry import-opml/export-opml (federation/pipeline.py, federation/opml.py) --

#: Exit statuses of `tongxin federate`: see tongxin/portal_cli.py.
EXIT_REGISTRY = 2


@main.command(help=help_text("federate"))
@click.argument("registry", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help=help_text("opt_portal_output"),
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help=help_text("opt_federate_db"),
)
@click.option(
    "--timings",
    type=click.Path(dir_okay=False, path_type=Path),
    help=help_text("opt_timings"),
)
@click.option(
    "--stale-days",
    type=click.IntRange(min=1),
    help=help_text("opt_stale_days"),
)
@click.option("--siteurl", help=help_text("opt_publish_siteurl"))
@click.option(
    "--pinged",
    type=click.Path(file_okay=False, path_type=Path),
    help=help_text("opt_pinged"),
)
@click.option("--parent-hub", help=help_text("opt_parent_hub"))
@click.option(
    "--adaptive",
    is_flag=True,
    help=help_text("opt_adaptive"),
)
@click.option("-q", "--quiet", is_flag=True, help=help_text("opt_quiet"))
def federate(
    registry: Path,
    out: Path,
    db: Path | None,
    timings: Path | None,
    stale_days: int | None,
    siteurl: str | None,
    pinged: Path | None,
    parent_hub: str | None,
    adaptive: bool,
    quiet: bool,
) -> None:
    """Aggregate the registry's branch feeds and publish the portal (one run, cron-ready)."""
    from tongxin.portal_cli import federate_main

    sys.exit(
        federate_main(
            registry,
            out,
            db,
            timings=timings,
            stale_days=stale_days,
            siteurl=siteurl,
            pinged=pinged,
            parent_hub=parent_hub,
            adaptive=adaptive,
            quiet=quiet,
        )  # fmt: skip
    )


@main.group("registry", help=help_text("registry"))
def registry_group() -> None:
    """Registry tools: OPML import and export, as planet aggregators offer."""


@registry_group.command("import-opml", help=help_text("import_opml"))
@click.argument("opml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help=help_text("opt_registry_output"),
)
@click.option("--name", help=help_text("opt_portal_name"))
@click.option("--url", help=help_text("opt_portal_url"))
def import_opml_command(opml: Path, output: Path | None, name: str | None, url: str | None) -> None:
    """Turn an OPML subscription list into a registry (regions from OPML folders)."""
    from tongxin.federation.opml import import_opml
    from tongxin.federation.registry import RegistryError

    with _registry_problems_exit(RegistryError):
        text = import_opml(opml, name=name, url=url)
    _write_or_echo(text, output)


@registry_group.command("export-opml", help=help_text("export_opml"))
@click.argument("registry", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help=help_text("opt_opml_output"),
)
def export_opml_command(registry: Path, output: Path | None) -> None:
    """Write the registry's branches as OPML 2.0, grouped by region."""
    from tongxin.federation.opml import export_opml
    from tongxin.federation.registry import RegistryError, load_registry

    with _registry_problems_exit(RegistryError):
        text = export_opml(load_registry(registry), settings=True)
    _write_or_echo(text, output)


@contextlib.contextmanager
def _registry_problems_exit(error_type: type[Exception]) -> Iterator[None]:
    """Print a registry's `path:line: message` problems and exit with EXIT_REGISTRY."""
    try:
        yield
    except error_type as error:
        for problem in getattr(error, "problems", []):
            click.echo(str(problem), err=True)
        sys.exit(EXIT_REGISTRY)


def _write_or_echo(text: str, output: Path | None) -> None:
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


# --- quarantine list/release/reject (federation/quarantine.py) -------------------------


@main.group("quarantine", help=help_text("quarantine"))
def quarantine_group() -> None:
    """Entries the screen held back as suspicious: list them, release or reject them."""


def _quarantine_store(db: Path, language: str):  # -> Store, with quarantine.yaml applied
    from tongxin.federation.quarantine import DecisionsFileError, apply_decisions_file
    from tongxin.federation.store import Store

    store = Store(db)
    try:
        apply_decisions_file(store, language=language)
    except DecisionsFileError as error:
        store.close()
        for problem in error.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    return store


def _default_db(
    ctx: click.Context, _param: click.Parameter, value: Path | None
) -> Path:  # the store as `federate` places it: OUTPUT.sqlite3 beside the output
    from tongxin.federation.pipeline import default_db_path

    db = value or default_db_path(Path(ctx.params.get("output") or "www"))
    if not db.is_file():
        from tongxin.i18n import translate

        raise click.BadParameter(translate(None, "portal.cli.no_store", path=db))
    return db


_DB_OPTION = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_default_db,
    help=help_text("opt_db"),
)
_OUTPUT_OPTION = click.option(
    "-o",
    "--output",
    default="www",
    show_default=True,
    is_eager=True,
    type=click.Path(path_type=Path),
    help=help_text("opt_federate_output"),
)
_LANGUAGE_OPTION = click.option(
    "--language",
    default="zh-CN",
    show_default=True,
    type=click.Choice(["zh-CN", "zh-TW", "en"]),
    help=help_text("opt_messages_language"),
)


@quarantine_group.command("list", help=help_text("quarantine_list"))
@_OUTPUT_OPTION
@_DB_OPTION
@_LANGUAGE_OPTION
def quarantine_list(output: Path, db: Path, language: str) -> None:
    """List the entries waiting for a decision, with the rule that held each back."""
    from tongxin.i18n import translate

    with _quarantine_store(db, language) as store:
        held = store.quarantined()
    if not held:
        click.echo(translate(language, "screen.quarantine.none"))
        return
    click.echo(translate(language, "screen.quarantine.header", count=len(held)))
    for entry in held:
        click.echo(
            translate(
                language,
                "screen.quarantine.row",
                id=entry.entry_id,
                branch=entry.branch_id,
                title=entry.title,
                reason=entry.quarantine_reason,
            )
        )


def _decide(db: Path, entry_id: str, decision: str, note: str, language: str) -> None:
    from tongxin.federation.quarantine import find_entry, record_decision
    from tongxin.i18n import translate

    with _quarantine_store(db, language) as store:
        if find_entry(store, entry_id) is None:
            click.echo(translate(language, "screen.quarantine.not_found", id=entry_id), err=True)
            sys.exit(1)
        record_decision(store, entry_id, decision, note)
    key = "released" if decision == "release" else "rejected"
    click.echo(translate(language, f"screen.quarantine.{key}", id=entry_id))


@quarantine_group.command("release", help=help_text("quarantine_release"))
@click.argument("entry_id")
@_OUTPUT_OPTION
@_DB_OPTION
@click.option("--note", default="", help=help_text("opt_note"))
@_LANGUAGE_OPTION
def quarantine_release(entry_id: str, output: Path, db: Path, note: str, language: str) -> None:
    """Publish ENTRY_ID although it matched a rule (remembered across runs)."""
    _decide(db, entry_id, "release", note, language)


@quarantine_group.command("reject", help=help_text("quarantine_reject"))
@click.argument("entry_id")
@_OUTPUT_OPTION
@_DB_OPTION
@click.option("--note", default="", help=help_text("opt_note"))
@_LANGUAGE_OPTION
def quarantine_reject(entry_id: str, output: Path, db: Path, note: str, language: str) -> None:
    """Never publish ENTRY_ID, even when its feed sends it again (remembered across runs)."""
    _decide(db, entry_id, "reject", note, language)


# --- moves list/confirm (federation/moves.py) ------------------------------------------


@main.group("moves", help=help_text("moves"))
def moves_group() -> None:
    """Permanent redirects waiting to take effect: list them, or confirm one."""


@moves_group.command("list", help=help_text("moves_list"))
@_DB_OPTION
@_LANGUAGE_OPTION
def moves_list(db: Path, language: str) -> None:
    """Every branch whose server says its feed moved, with the target and how often seen."""
    from tongxin.federation import moves
    from tongxin.federation.store import Store
    from tongxin.i18n import translate

    with Store(db) as store:
        found = [(b, moves.pending(store, b)) for b in sorted(store.branch_states())]
    rows = [(branch, move) for branch, move in found if move is not None]
    if not rows:
        click.echo(translate(language, "federation.moves.none"))
    for branch, move in rows:
        click.echo(translate(language, "federation.moves.row", branch=branch, target=move.target,
                             runs=move.runs, first=move.first_seen))  # fmt: skip


@moves_group.command("confirm", help=help_text("moves_confirm"))
@click.argument("branch_id")
@_DB_OPTION
@_LANGUAGE_OPTION
def moves_confirm(branch_id: str, db: Path, language: str) -> None:
    """Accept BRANCH_ID's pending move: the next run that is redirected there moves it."""
    from tongxin.federation import moves
    from tongxin.federation.store import Store
    from tongxin.i18n import translate

    with Store(db) as store:
        move = moves.confirm(store, branch_id)
    if move is None:
        click.echo(translate(language, "federation.moves.not_found", branch=branch_id), err=True)
        sys.exit(1)
    click.echo(translate(language, "federation.moves.confirmed", branch=branch_id,
                         target=move.target))  # fmt: skip


# --- keys generate/verify (tongxin/signing.py, docs/signing.md) ------------------------


@main.group("keys", help=help_text("keys"))
def keys_group() -> None:
    """Ed25519 keys for signed feeds: make a branch's key pair, check a signed feed."""


@keys_group.command("generate", help=help_text("keys_generate"))
@click.option(
    "--out-private",
    type=click.Path(dir_okay=False, path_type=Path),
    help=help_text("opt_out_private"),
)
@_LANGUAGE_OPTION
def keys_generate(out_private: Path | None, language: str) -> None:
    """Make a key pair: print `public_key: …`; the private key goes to CI secrets only."""
    import os

    from tongxin.i18n import translate
    from tongxin.signing import generate_keypair

    private, public = generate_keypair()
    if out_private is not None:
        try:
            # O_EXCL: never overwrite a file that may hold the only copy of a key in use;
            # 0600 from the start, so the key is never readable by others, even briefly.
            fd = os.open(out_private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            click.echo(translate(language, "keys.exists", path=out_private), err=True)
            sys.exit(1)
        except OSError as error:
            message = translate(
                language, "keys.cannot_write", path=out_private, error=error.strerror or error
            )
            click.echo(message, err=True)
            sys.exit(1)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(private + "\n")
        click.echo(f"public_key: {public}")
        click.echo(translate(language, "keys.private_written", path=out_private), err=True)
    else:
        click.echo(f"private_key: {private}")
        click.echo(f"public_key: {public}")
        click.echo(translate(language, "keys.private_warning"), err=True)
    click.echo(translate(language, "keys.public_hint"), err=True)


def _valid_public_key(value: str) -> bool:
    import base64
    import binascii

    try:
        return len(base64.b64decode(value.strip(), validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


@keys_group.command("verify", help=help_text("keys_verify"))
@click.argument("feed_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_LANGUAGE_OPTION
@click.option(
    "--public-key",
    "public_keys",
    required=True,
    multiple=True,
    help=help_text("opt_public_key"),
)
def keys_verify(feed_file: Path, public_keys: tuple[str, ...], language: str) -> None:
    """Check FEED_FILE against FEED_FILE.sig, as the portal does; exit 1 unless valid."""
    from tongxin.i18n import translate
    from tongxin.signing import SIGNATURE_SUFFIX, verify_any

    # A typo in the key is the user's mistake, not a forged feed: say so (exit 2, as click).
    for key in public_keys:
        if not _valid_public_key(key):
            click.echo(translate(language, "keys.bad_public_key", found=key), err=True)
            sys.exit(2)
    signature_path = feed_file.with_name(feed_file.name + SIGNATURE_SUFFIX)
    try:
        signature = signature_path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        click.echo(translate(language, "keys.signature_missing", path=signature_path), err=True)
        sys.exit(1)
    # The exact bytes on disk, as the portal verifies what it fetched.
    if verify_any(feed_file.read_bytes(), signature, [k.strip() for k in public_keys]):
        click.echo(translate(language, "keys.verified", path=feed_file))
        return
    click.echo(translate(language, "keys.bad_signature", path=feed_file), err=True)
    sys.exit(1)


# --- ping, hub (tongxin/portal_cli.py, federation/hub.py) ----------------------------------
def _add_push_commands() -> None:
    from tongxin.portal_cli import hub_command, ping_command

    main.add_command(ping_command)
    main.add_command(hub_command)


_add_push_commands()


def _add_retraction_commands() -> None:  # tongxin/retract_cli.py, federation/retractions.py
    from tongxin.retract_cli import retractions_group

    main.add_command(retractions_group(_DB_OPTION, _LANGUAGE_OPTION))


_add_retraction_commands()
