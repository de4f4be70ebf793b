"""What a branch may contain, stated once: its content types, ``site.yaml`` and front matter.

:data:`SITE`, :data:`FRONT_MATTER` (one schema per content type), :data:`QUIZ_ITEM` and
:data:`ATTACHMENT` are validated by :mod:`tongxin.check`; the names derived from content
(attachment paths, series page slugs) are here too, so ``tongxin check`` and the Pelican
plugins compute them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from tongxin.i18n import LANGUAGES, translate
from tongxin.yamlsrc import KeyPath

from .options import (
    Choice,
    Context,
    DateTime,
    Integer,
    Issue,
    ListOf,
    Option,
    OutputPath,
    SubConfig,
    Text,
    Timezone,
    Type,
    Url,
    as_list,
    shown,
)

#: The content types, each a folder under ``content/`` and a URL prefix (pages have none).
CONTENT_TYPES = ("news", "announcements", "study", "pages")
#: The types that are dated articles (listed, in feeds); ``pages`` are standalone.
ARTICLE_TYPES = tuple(kind for kind in CONTENT_TYPES if kind != "pages")


def content_type_label(content_type: str, language: str | None) -> str:
    """The reader-facing name of a content type (``通知公告``) in ``language``."""
    return translate(language, f"theme.type_{content_type}")


STATUSES = ("published", "draft", "hidden")
SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"

#: Where the web editor (Decap CMS at ``/admin/``) reads and writes: ``local`` is
#: ``decap-server`` on this computer (one office PC, the demo); the others are forges.
EDITOR_BACKENDS = ("local", "gitlab", "gitea", "forgejo")


def _forge_named(section: dict, path: KeyPath, ctx: Context) -> None:
    backend = section.get("backend", "local")
    if backend in EDITOR_BACKENDS and backend != "local":
        for key in ("repo", "base_url", "app_id"):
            if key not in section:
                ctx.report(
                    path, "editor_needs", backend=backend, field=".".join(map(str, path + (key,)))
                )


EDITOR = SubConfig(
    {
        "backend": Choice(EDITOR_BACKENDS),
        "repo": Text(pattern=r"[^/\s]+(?:/[^/\s]+)+", expected="type_repo"),
        "branch": Text(),
        "base_url": Url(),
        "app_id": Text(),
        "local_port": Integer(minimum=1),
        # local backend: commit each save to git (one office PC, nobody typing git commands)
        "commit": Type(bool, "type_bool"),
        "workflow": Type(bool, "type_bool"),
    },
    rules=(_forge_named,),
)

SITE = SubConfig(
    {
        "name": Text(required=True),
        "url": Url(required=True),
        "language": Choice(LANGUAGES, required=True),
        "description": Text(),
        "contact": SubConfig(
            {
                "email": Text(pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+", expected="type_email"),
                # "0755-1234567" is text in YAML, 02765432100 a number: read as written
                # (options.texts_as_written)
                "phone": Text(),
                "address": Text(),
            }
        ),
        "parent": Url(),
        "nav": ListOf(SubConfig({"title": Text(required=True), "url": Text(required=True)})),
        "timezone": Timezone(),
        "stale_days": Integer(minimum=1),
        "editor": EDITOR,
        # publish each entry's git committer as its author when it names none
        "author_from_git": Type(bool, "type_bool"),
        # Raw HTML in Markdown is published as written only when true; else it goes through
        # the portal's allowlist (plugins/readers.py), so a hacked editor cannot add scripts.
        "raw_html": Type(bool, "type_bool"),
    }
)

#: A comma (or semicolon, or full-width space) typed with a Chinese input method: inside a
#: tag it merges two tags into one.
TAG_SEPARATORS = ("，", "、", "；", ";", "\u3000")
#: (多选)/(单选) typed into a question: the quiz template adds the label itself.
_CHOICE_LABEL = re.compile(
    r"[（(]\s*(?:可?(?:多选|单选|多選|單選|复选|複選)[题題]?|multiple choice|single choice"
    r"|(?:choose|select) (?:all|one)(?: that apply)?)\s*[)）]",
    re.I,
)


def _tags_split_by_ascii_comma(meta: dict, path: KeyPath, ctx: Context) -> None:
    tags = meta.get("tags")
    for index, tag in enumerate(tags if isinstance(tags, list) else []):
        if isinstance(tag, str) and any(comma in tag for comma in TAG_SEPARATORS):
            parts = [p.strip() for p in re.split(f"[{''.join(TAG_SEPARATORS)}]", tag) if p.strip()]
            ctx.report(path + ("tags", index), "tag_cjk_comma", found=tag, fixed=", ".join(parts))


def _tags_without_letters(meta: dict, path: KeyPath, ctx: Context) -> None:
    # "..", "???", "-": no letter or digit, so no slug (Pelican warns in English and drops it)
    tags = meta.get("tags")
    for index, tag in enumerate(tags if isinstance(tags, list) else []):
        if isinstance(tag, str) and tag.strip() and not re.search(r"[^\W_]", tag):
            ctx.report(path + ("tags", index), "tag_no_letters", found=tag)


def _expires_after_date(meta: dict, path: KeyPath, ctx: Context) -> None:
    expires, published = meta.get("expires"), meta.get("date")
    if isinstance(published, datetime):
        published = published.date()
    if isinstance(expires, datetime):
        expires = expires.date()
    if isinstance(expires, date) and isinstance(published, date) and expires < published:
        ctx.report(path + ("expires",), "expires_before_date", expires=expires, date=published)


#: Pelican's own metadata names, shared by every content type.
COMMON_FIELDS: dict[str, Option] = {
    "title": Text(required=True),
    "date": DateTime(),
    "modified": DateTime(),
    "tags": ListOf(Text()),
    "summary": Text(),
    "slug": Text(pattern=SLUG_PATTERN, expected="type_slug"),
    "author": Text(),
    "status": Choice(STATUSES),
    "lang": Choice(LANGUAGES),
    "save_as": OutputPath(),
    "url": OutputPath(),
}

#: ``file`` is a path under ``content/files/``; ``url`` an address elsewhere.
ATTACHMENT = SubConfig(
    {"title": Text(required=True), "file": Text(), "url": Text()}, one_of=("file", "url")
)


def _answer_in_range(item: dict, path: KeyPath, ctx: Context) -> None:
    options, answer = item.get("options"), item.get("answer")
    if not isinstance(options, list) or "answer" not in item:
        return
    answers = answer if isinstance(answer, list) else [answer]
    if not answers and isinstance(answer, list):
        ctx.report(path + ("answer",), "empty")
    repeated = sorted({a for a in answers if answers.count(a) > 1 and isinstance(a, int)})
    if repeated:
        ctx.report(path + ("answer",), "answer_repeated", found=shown(answer), repeated=repeated[0])
    for single in answers:
        if isinstance(single, bool) or not isinstance(single, int):
            ctx.wrong_type(path + ("answer",), "type_int_or_list", answer)
            return
        if not 0 <= single < len(options):
            ctx.report(path + ("answer",), "answer_range", found=single, count=len(options))
            one = options[0] if len(options) == 1 and isinstance(options[0], str) else ""
            if re.search("[，、；]", one):  # [甲，乙，丙]: one option, with Chinese commas
                fixed = f"options: {as_list(one)}"
                ctx.issues[-1] = Issue(
                    ctx.issues[-1].path, ctx.issues[-1].message + ctx.t("list_hint", fixed=fixed)
                )
            return


def _no_choice_label(item: dict, path: KeyPath, ctx: Context) -> None:
    question = item.get("question")
    label = _CHOICE_LABEL.search(question) if isinstance(question, str) else None
    if label:
        ctx.report(path + ("question",), "choice_label_typed", found=label.group(0))


_OPTION_LETTER = re.compile(r"\s*[(（]?([A-Za-z])(?:[)）]|\s*[.．、:：])\s*")


def unlettered(options: list[Any]) -> list[Any]:
    """Options written with the letters the page adds itself (``A. 甲``, ``B、乙``, ``(C) 丙``),
    without them: the page showed "A. A. 甲". Only when every option has its own letter, in
    order; otherwise they are the options' text."""
    found = [_OPTION_LETTER.match(o) if isinstance(o, str) else None for o in options]
    letters = [m.group(1).upper() if m else "" for m in found]
    if not options or letters != [chr(ord("A") + i) for i in range(len(options))]:
        return options
    return [
        o[m.end() :] if m and o[m.end() :].strip() else o
        for o, m in zip(options, found, strict=True)
    ]


QUIZ_ITEM = SubConfig(
    {
        "question": Text(required=True),
        "options": ListOf(Text(), required=True, non_empty=True),
        "answer": Type((int, list), "type_int_or_list", required=True),
        "explanation": Text(),
    },
    rules=(_answer_in_range, _no_choice_label),
)

COMMON_RULES = (_tags_split_by_ascii_comma, _tags_without_letters)
FRONT_MATTER: dict[str, SubConfig] = {
    "news": SubConfig(dict(COMMON_FIELDS), rules=COMMON_RULES),
    "announcements": SubConfig(
        {
            **COMMON_FIELDS,
            "pinned": Type(bool, "type_bool"),
            "expires": DateTime(date_only=True),
            "attachments": ListOf(ATTACHMENT),
        },
        rules=(*COMMON_RULES, _expires_after_date),
    ),
    "study": SubConfig(
        {
            **COMMON_FIELDS,
            "series": Text(),
            "order": Integer(minimum=1),
            "quiz": ListOf(QUIZ_ITEM),
        },
        rules=COMMON_RULES,
    ),
    "pages": SubConfig(dict(COMMON_FIELDS), rules=COMMON_RULES),
}
assert tuple(FRONT_MATTER) == CONTENT_TYPES


def attachment_path(value: str) -> str | None:
    """The path under ``content/files/`` an attachment names, or None if it escapes.

    ``files/a.pdf`` is the form; ``../files/a.pdf`` (as images in the text are written) and
    ``content/files/a.pdf`` name the same file and are read so.
    """
    text = value.strip().replace("\\", "/").lstrip("/")
    while text.startswith("../"):
        text = text[3:]
    text = text.removeprefix("content/").removeprefix("files/")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def series_slugs(names: Iterable[str], settings: dict[str, Any] | None = None) -> dict[str, str]:
    """Each series name's URL part: its slug, with a suffix (``-2``) when two names meet.

    Shared by ``tongxin check`` and the build, which must agree on the series pages written.
    """
    if settings is None:  # Pelican's defaults, as a branch build uses them
        from pelican.settings import DEFAULT_CONFIG

        settings = {"SLUG_REGEX_SUBSTITUTIONS": DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"]}
    taken: set[str] = set()
    slugs: dict[str, str] = {}
    for name in sorted(set(names)):
        base = series_slug(name, settings)
        slug, number = base, 1
        while slug.lower() in taken:
            number += 1
            slug = f"{base}-{number}"
        taken.add(slug.lower())
        slugs[name] = slug
    return slugs


def series_slug(name: str, settings: dict[str, Any]) -> str:
    """The URL part of a series page: its name slugified, Chinese kept (``党章学习``)."""
    from pelican.utils import slugify

    slug = slugify(
        name,
        regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        use_unicode=True,
    )
    return slug.strip("-") or "series"
