"""The web editor's configuration (Decap CMS ``admin/config.yml``), generated from the schema.

Nothing about fields is restated here: every collection's fields come from
:data:`tongxin.config.FRONT_MATTER` and the settings form from :data:`tongxin.config.SITE`,
each option mapped onto the Decap widget that can only write what the option accepts
(a :class:`~tongxin.config.options.Choice` becomes a select, an ``Integer`` a number, a
``ListOf(SubConfig)`` a list of objects: the quiz). Labels and hints are the catalogue
section ``editor`` in the site's language; a field without a label is a
:class:`MissingLabel` error, so a field added to the schema cannot silently reach the editor
unnamed (tests/test_editor.py builds the config in every language).

File names are the entry's date and time (``20261206-093000.md``): safe in a URL, never the
title, so a retitled entry keeps its address. Uploads go to ``content/files/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tongxin.config.content import (
    ATTACHMENT,
    CONTENT_TYPES,
    EDITOR_BACKENDS,
    FRONT_MATTER,
    SITE,
    TAG_SEPARATORS,
    content_type_label,
)
from tongxin.config.options import (
    Choice,
    DateTime,
    Integer,
    ListOf,
    Option,
    OutputPath,
    SubConfig,
    Type,
)
from tongxin.i18n import catalogue, normalise_language, translate

#: Decap's own UI locale for each site language (both Chinese ones ship in the bundle).
DECAP_LOCALES = {"zh-CN": "zh_Hans", "zh-TW": "zh_Hant", "en": "en"}
#: Front-matter fields left out of the form: the build derives them (``modified`` from git,
#: ``slug`` from the file name) or they are for hand-made special pages only.
NOT_IN_FORM = frozenset({"modified", "slug", "lang", "save_as", "url"})
#: Site settings the form leaves alone: the administrator's (the editor's own connection,
#: whether git committers are published, whether raw HTML is trusted).
SITE_NOT_IN_FORM = frozenset({"editor", "author_from_git", "raw_html"})
#: Multi-line text fields.
LONG_TEXT = frozenset({"summary", "description", "explanation", "question"})
#: The file name of every new entry: its date and time, ASCII, unique to the second.
SLUG_TEMPLATE = "{{year}}{{month}}{{day}}-{{hour}}{{minute}}{{second}}"
MEDIA_FOLDER = "content/files"
DEFAULT_LOCAL_PORT = 8081
DATE_FORMAT = "YYYY-MM-DD"
DATETIME_FORMAT = "YYYY-MM-DD HH:mm"
#: Tags with none of the separators that are not one (the check's, TAG_SEPARATORS).
TAG_PATTERN = f"^[^{''.join(TAG_SEPARATORS)}]*$"
#: A title as tongxin check takes it: no space first (a full-width one is pasted from Word),
#: no zero-width characters anywhere.
VISIBLE_TEXT = "^(?![\\s\\u3000])[^\\u200b-\\u200f\\u2060\\ufeff]*$"


class MissingLabel(LookupError):
    """A schema field has no ``editor.field_<name>`` string in the catalogue."""


def label(language: str, name: str) -> str:
    key = f"editor.field_{name}"
    if key not in catalogue(normalise_language(language)):
        raise MissingLabel(f"{key} ({language})")
    return translate(language, key)


def widget(name: str, option: Option, language: str) -> dict[str, Any]:
    """One Decap field for the option ``name``: what it accepts, nothing more."""
    field: dict[str, Any] = {"name": name, "label": label(language, name)}
    hint = translate(language, f"editor.hint_{name}")
    if hint != f"editor.hint_{name}":
        field["hint"] = hint
    field.update(_widget_kind(name, option, language))
    field["required"] = bool(option.required)
    return field


def _widget_kind(name: str, option: Option, language: str) -> dict[str, Any]:
    if isinstance(option, Choice):
        return {"widget": "select", "options": _choices(name, option, language)}
    if isinstance(option, DateTime):
        if option.date_only:
            return {
                "widget": "datetime",
                "format": DATE_FORMAT,
                "date_format": DATE_FORMAT,
                "time_format": False,
            }
        return {"widget": "datetime", "format": DATETIME_FORMAT, "default": "{{now}}"}
    if isinstance(option, Integer):
        number: dict[str, Any] = {"widget": "number", "value_type": "int"}
        if option.minimum is not None:
            number["min"] = option.minimum
        return number
    if isinstance(option, SubConfig):
        return {"widget": "object", "fields": fields_of(option, language)}
    if isinstance(option, ListOf):
        return _list_widget(name, option, language)
    if isinstance(option, Type) and option.kind is bool:
        return {"widget": "boolean", "default": False}
    if isinstance(option, Type) and option.kind == (int, list):  # a quiz answer
        return {
            "widget": "list",
            "field": {
                "name": "option",
                "label": label(language, name),
                "widget": "number",
                "value_type": "int",
                "min": 0,
            },
        }
    text: dict[str, Any] = {"widget": "text" if name in LONG_TEXT else "string"}
    if name in ("title", "question"):  # pasted invisible characters fail tongxin check
        text["pattern"] = [VISIBLE_TEXT, translate(language, "editor.invisible_text")]
    return text


def _choices(name: str, option: Choice, language: str) -> list[Any]:
    """A select's options, each named in the site's language where the catalogue names it
    (``editor.choice_status_draft``: 草稿), else as written (zh-CN, gitlab)."""
    options: list[Any] = []
    for value in option.choices:
        key = f"editor.choice_{name}_{value}"
        shown = translate(language, key)
        options.append(value if shown == key else {"label": shown, "value": value})
    return options


def _list_widget(name: str, option: ListOf, language: str) -> dict[str, Any]:
    if option.item is ATTACHMENT:
        return {"widget": "list", "fields": attachment_fields(language)}
    if isinstance(option.item, SubConfig):
        return {"widget": "list", "fields": fields_of(option.item, language)}
    if name == "options":  # a box an option: typed in one box, 甲，乙，丙 was one option
        option_field = {"name": "option", "label": label(language, name), "widget": "string"}
        return {"widget": "list", "field": option_field}
    if name == "tags":
        # one box a tag: typed into one box, 环境清洁、志工招募 would be one tag, which the check
        # refuses; the box refuses it first, in the same words (Decap checks a string's
        # pattern, not that of a list typed as comma-separated text)
        tag: dict[str, Any] = {"name": "tag", "label": label(language, name), "widget": "string"}
        tag["pattern"] = [TAG_PATTERN, translate(language, "editor.tags_split")]
        return {"widget": "list", "field": tag}
    return {"widget": "list"}  # a list of text: typed as words separated by commas


def attachment_fields(language: str) -> list[dict[str, Any]]:
    """An attachment: a title and an uploaded file, written as ``files/<name>``."""
    fields = fields_of(ATTACHMENT, language)
    for field in fields:
        if field["name"] == "file":
            field.update(
                widget="file",
                media_folder=f"/{MEDIA_FOLDER}",
                public_folder="files",
                choose_url=False,
                # the form is for uploads (a title without a file was saved, and refused by
                # the build); a link elsewhere is written by hand: url
                required=True,
            )
    return fields


def fields_of(
    schema: SubConfig, language: str, skip: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    return [
        widget(name, option, language)
        for name, option in schema.fields.items()
        if name not in skip and not isinstance(option, OutputPath)
    ]


def collection(content_type: str, language: str) -> dict[str, Any]:
    """The folder collection of one content type: its fields, then the Markdown body."""
    fields = fields_of(FRONT_MATTER[content_type], language, NOT_IN_FORM)
    # a notice may be only its attachment: the text is optional, as the schema has it
    body = {"name": "body", "label": label(language, "body"), "widget": "markdown"}
    fields.append({**body, "required": False})
    return {
        "name": content_type,
        "label": content_type_label(content_type, language),
        "folder": f"content/{content_type}",
        "extension": "md",
        "format": "frontmatter",
        "create": True,
        "slug": SLUG_TEMPLATE,
        "identifier_field": "title",
        "summary": "{{title}}",
        "sortable_fields": ["date", "title"],
        "fields": fields,
    }


def settings_collection(language: str) -> dict[str, Any]:
    """``content/site.yaml`` as a one-file collection."""
    return {
        "name": "settings",
        "label": label(language, "settings"),
        "editor": {"preview": False},
        "files": [
            {
                "name": "site",
                "label": label(language, "site"),
                "file": "content/site.yaml",
                "format": "yaml",
                "fields": fields_of(SITE, language, SITE_NOT_IN_FORM),
            }
        ],
    }


def backend(
    editor: dict[str, Any], port: int | None = None, git_branch: str | None = None
) -> dict[str, Any]:
    """Decap's ``backend`` section for the site's ``editor:`` settings (``git_branch``: the
    branch checked out, which a committing local backend must name)."""
    kind = editor.get("backend", "local")
    assert kind in EDITOR_BACKENDS, kind
    branch = editor.get("branch") or git_branch or "main"
    if kind == "local":
        port = port or editor.get("local_port") or DEFAULT_LOCAL_PORT
        return {"name": "proxy", "proxy_url": f"http://127.0.0.1:{port}/api/v1", "branch": branch}
    base = str(editor["base_url"]).rstrip("/")
    section: dict[str, Any] = {"name": kind, "repo": editor["repo"], "branch": branch}
    section["base_url"] = base
    section["app_id"] = editor["app_id"]
    if kind == "gitlab":
        section.update(api_root=f"{base}/api/v4", auth_type="pkce", auth_endpoint="oauth/authorize")
    else:
        section["api_root"] = f"{base}/api/v1"
    return section


def current_git_branch(root: Any) -> str | None:
    """The branch checked out in ``root`` (None outside git or on a detached HEAD)."""
    head = Path(root) / ".git" / "HEAD"
    try:
        text = head.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    prefix = "ref: refs/heads/"
    return text[len(prefix) :] if text.startswith(prefix) else None


def uses_workflow(editor: dict[str, Any]) -> bool:
    """The editorial workflow (drafts as merge requests): GitLab and Forgejo, on by default."""
    return editor.get("backend", "local") in ("gitlab", "forgejo") and editor.get("workflow", True)


def decap_config(
    site: dict[str, Any], port: int | None = None, git_branch: str | None = None
) -> dict[str, Any]:
    """The whole ``config.yml`` for a branch whose ``site.yaml`` is ``site`` (validated)."""
    language = normalise_language(site.get("language"))
    editor = site.get("editor") or {}
    config: dict[str, Any] = {
        "backend": backend(editor, port, git_branch),
        "locale": DECAP_LOCALES[language],
        "site_url": str(site.get("url", "")),
        "media_folder": MEDIA_FOLDER,
        # Markdown in content/<type>/x.md reaches content/files/ one folder up; the build
        # resolves the relative path to the copied file (tongxin check verifies it).
        "public_folder": "../files",
        # entries are named by SLUG_TEMPLATE (the time); this names uploads: an ASCII-only
        # slug made 大照片.jpg ".jpg" and the next upload replaced it (a trial). Chinese names
        # stay; spaces become "-" (a space in a file name is an error of tongxin check).
        "slug": {"encoding": "unicode", "clean_accents": False, "sanitize_replacement": "-"},
        "collections": [collection(kind, language) for kind in CONTENT_TYPES]
        + [settings_collection(language)],
    }
    if uses_workflow(editor):
        config["publish_mode"] = "editorial_workflow"
    return config
