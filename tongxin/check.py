"""``tongxin check``: everything wrong with a branch, as ``path:line: message`` problems.

One pass over ``content/``:

* ``site.yaml`` against :data:`tongxin.config.SITE`;
* every entry under ``content/<type>/`` (:data:`tongxin.config.CONTENT_TYPES`) read by
  :func:`tongxin.frontmatter.read_content_file` (size, binary, encoding, YAML syntax) and
  validated against :data:`tongxin.config.FRONT_MATTER` (fields, types, dates, unknown
  fields, ``save_as``/``url`` escaping the output folder);
* slugs unique per type (case-insensitively), internal links and attachments that resolve;
* ``content/files/`` (attachments, copied as static): size and symlinks only;
* anything else under ``content/`` is an error: a file the build would not publish must
  not vanish silently. Only dot-files (``.gitkeep``, ``.DS_Store``) and Windows' own files
  (``Thumbs.db``, :func:`tongxin.checknames.is_system_file`) are ignored, as the build's
  ``IGNORE_FILES`` ignores them too (and only them). Warnings (``Problem.warning``: images
  hotlinked from other sites) are printed and fail nothing; every other problem fails the
  check.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from tongxin.checkdates import Dated, backdated_problems, declared_value
from tongxin.checklinks import (
    SiteLinks,
    body_offset,
    case_fix,
    case_twin,
    markdown_links,
    nav_problems,
)
from tongxin.checknames import (
    RESERVED_PAGE_SLUGS,
    gbk_guess,
    is_system_file,
    looks_like_copy,
    output_file,
    printable_path,
    site_owned,
    unchanged_sample,
    undecodable,
)
from tongxin.config.content import FRONT_MATTER, SITE, attachment_path
from tongxin.config.options import (
    Option,
    document_problems,
    escapes_output,
    parse_document,
    texts_as_written,
)
from tongxin.frontmatter import (
    MAX_FILE_BYTES,
    ContentError,
    ContentFile,
    branch_language,
    drop_blank,
    points_outside,
    read_content_file,
    read_text_checked,
    relative_posix,
)
from tongxin.hanzi import simplified_in
from tongxin.i18n import translate
from tongxin.linkrules import (
    embed_problems,
    files_fix,
    image_targets,
    is_local_path,
    link_form_problems,
)
from tongxin.problems import Problem, marked
from tongxin.yamlsrc import YamlDocument

#: Photos readers download on every visit of the page: above this, a warning (a phone's
#: photo as taken is 3-8 MB, a minute on a slow mobile link; 1 MB shows it as well).
HEAVY_PHOTO_BYTES = 1024 * 1024
PHOTO_SUFFIXES = frozenset((".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".heic"))

#: Bumped when what the per-file cache holds changes.
CACHE_VERSION = 7
CACHE_FILE = "check.json"


@dataclass
class _Entry:
    """What the checks across files need to know of one entry (cached per file)."""

    path: Path
    rel: str
    type: str
    slug: str
    slug_line: int
    #: front matter ``url``/``save_as`` values, stripped
    custom: list[str] = field(default_factory=list)
    #: the file the entry is written to, when front matter ``save_as`` names it, and its line
    save_as: str = ""
    save_as_line: int = 1
    #: the series page this entry is published in (study, not draft or hidden)
    series: str | None = None
    #: (line, target) of every link in the body
    links: list[tuple[int, str]] = field(default_factory=list)
    #: (value, line) of every attachment ``file``
    attachments: list[tuple[str, int]] = field(default_factory=list)
    #: a digest of the title and text of a published entry ("" for a draft or hidden one),
    #: and the title's line: two entries with the same one are the same article twice
    sameness: str = ""
    title_line: int = 1
    #: a published entry's explicit ``date`` (ISO) and its line
    declared: tuple[str, int] | None = None

    def facts(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "slug": self.slug,
            "slug_line": self.slug_line,
            "custom": self.custom,
            "save_as": [self.save_as, self.save_as_line],
            "series": self.series,
            "links": self.links,
            "attachments": self.attachments,
            "sameness": [self.sameness, self.title_line],
            "declared": list(self.declared) if self.declared else None,
        }

    @classmethod
    def from_facts(cls, path: Path, rel: str, facts: dict[str, Any]) -> _Entry:
        return cls(
            path=path,
            rel=rel,
            type=facts["type"],
            slug=facts["slug"],
            slug_line=facts["slug_line"],
            custom=list(facts["custom"]),
            save_as=str((facts.get("save_as") or ["", 1])[0]),
            save_as_line=int((facts.get("save_as") or ["", 1])[1]),
            series=facts["series"],
            links=[(int(line), str(target)) for line, target in facts["links"]],
            attachments=[(str(value), int(line)) for value, line in facts["attachments"]],
            sameness=str(facts["sameness"][0]),
            title_line=int(facts["sameness"][1]),
            declared=(str(declared[0]), int(declared[1]))
            if (declared := facts["declared"])
            else None,
        )


class _Checker:
    def __init__(self, root: Path, language: str | None, cache_dir: Path | None = None) -> None:
        self.root = Path(root)
        self.content = self.root / "content"
        self.language = language or branch_language(self.root)
        self.problems: list[Problem] = []
        self.entries: list[_Entry] = []
        self.site: dict[str, Any] = {}
        self.site_lines: dict[Any, int] = {}
        # Per-file results of the last check, keyed by path and (size, mtime, inode): an
        # unchanged file is neither read nor validated again; checks across files (slugs,
        # links, attachments) always run, from the remembered facts.
        self.cache_path = Path(cache_dir) / CACHE_FILE if cache_dir else None
        self.cached_raw_html: bool | None = None  # site.yaml's raw_html when cached
        self.cached: dict[str, Any] = self.load_cache()
        self.fresh: dict[str, Any] = {}

    def raw_html(self) -> bool:
        """Whether site.yaml publishes raw HTML as written (embedded players stay)."""
        return self.site.get("raw_html") is True

    def t(self, key: str, **values: Any) -> str:
        return translate(self.language, f"check.{key}", **values)

    def add(self, rel: str, line: int, key: str, **values: Any) -> None:
        self.problems.append(Problem(rel, line, self.t(key, **values)))

    def warn_far_ahead(self, rel: str, when: Any, line: int) -> None:
        """A date a year or more ahead (2062 for 2026) keeps the entry on top of every list
        for years: a warning, since a notice may be dated ahead on purpose."""
        day = when.date() if isinstance(when, datetime) else when
        if isinstance(day, date) and day > date.today() + timedelta(days=365):
            text = self.t("date_far_ahead", date=day.isoformat())
            self.problems.append(Problem(rel, line, text, warning=True))

    def warn_expired(self, rel: str, meta: dict[str, Any], line: int) -> None:
        """An ``expires`` already past on an entry dated by git (no ``date``): published
        today, it is expired at once and never on the home page (a warning: an old notice
        may be added for the record)."""
        expires = meta.get("expires")
        day = expires.date() if isinstance(expires, datetime) else expires
        if "date" not in meta and isinstance(day, date) and day < date.today():
            self.problems.append(
                Problem(rel, line, self.t("expired_already", expires=day.isoformat()), warning=True)
            )

    def warn_sample(self, rel: str, source: ContentFile) -> None:
        """An entry new-branch wrote as a sample, never changed: published as the branch's
        own news (a warning: it may be kept on purpose for a while)."""
        if unchanged_sample(rel, source.path, self.language):
            self.problems.append(Problem(rel, 1, self.t("sample_entry"), warning=True))

    def warn_simplified(self, rel: str, source: ContentFile) -> None:
        """Simplified characters in an entry of a zh-TW site (a paragraph pasted from a
        mainland site): a warning, at the first one (an entry may quote one on purpose)."""
        if self.language != "zh-TW" or source.meta.get("lang"):
            return
        title = str(source.meta.get("title") or "")
        found = simplified_in(f"{title}\n{source.body}")
        if found is None:
            return
        if found.first <= len(title):
            line = source.lines.get("title", 1)
        else:
            line = body_offset(source) + source.body.count("\n", 0, found.first - len(title) - 1)
        text = self.t("simplified", count=found.count, examples="、".join(found.examples))
        self.problems.append(Problem(rel, line, text, warning=True))

    # --- walking ---------------------------------------------------------------------

    def run(self) -> list[Problem]:
        if self.content.is_symlink() and points_outside(self.content, self.root):
            self.add("content", 1, "symlink_outside", target=os.readlink(self.content))
            return sorted(set(self.problems))
        self.check_site()
        if not self.content.is_dir():
            return sorted(set(self.problems))
        for path in self.walk(self.content):
            self.check_path(path)
        self.check_slugs()
        self.check_outputs()
        self.check_copies()
        self.problems.extend(self.backdated())
        links = SiteLinks(self.root, self.site, self.entries)
        self.problems.extend(nav_problems(self.site, self.site_lines, links, self.language))
        for entry in self.entries:
            self.check_attachments(entry)
            self.check_links(entry, links)
        self.save_cache()
        mark = self.t("warning_mark")  # 提醒： first, whoever made the warning
        return sorted({marked(p, mark) for p in self.problems})

    # --- the per-file cache ------------------------------------------------------------

    def load_cache(self) -> dict[str, Any]:
        if self.cache_path is None:
            return {}
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if (
            not isinstance(data, dict)
            or data.get("version") != CACHE_VERSION
            or data.get("language") != self.language
            or not isinstance(data.get("files"), dict)
        ):
            return {}
        self.cached_raw_html = data.get("raw_html")
        return data["files"]

    def save_cache(self) -> None:
        if self.cache_path is None or self.fresh == self.cached:
            return
        data = {"version": CACHE_VERSION, "language": self.language, "files": self.fresh}
        data["raw_html"] = self.raw_html()
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_name(f".{CACHE_FILE}.tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.cache_path)
        except OSError:
            pass  # a read-only checkout: check everything next time

    def from_cache(self, path: Path, rel: str) -> bool:
        """Take the last check's result for an unchanged file; True when there was one."""
        if self.cache_path is None:
            return False
        try:
            stat = os.stat(path)
        except OSError:
            return False  # reading it reports why
        signature = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        found = self.cached.get(rel) if self.cached_raw_html == self.raw_html() else None
        self.fresh[rel] = {"signature": signature}
        if not isinstance(found, dict) or found.get("signature") != signature:
            return False
        try:
            problems = [
                Problem(rel, int(line), str(text), bool(warning))
                for line, text, warning in found["problems"]
            ]
            entry = found["entry"]
            restored = _Entry.from_facts(path, rel, entry) if entry is not None else None
        except (KeyError, TypeError, ValueError):
            return False
        self.problems.extend(problems)
        if restored is not None:
            self.entries.append(restored)
        self.fresh[rel] = found
        return True

    def remember(self, rel: str, problems: list[Problem], entry: _Entry | None) -> None:
        record = self.fresh.get(rel)
        if record is None:
            return
        record["problems"] = [[p.line, p.message, p.warning] for p in problems]
        record["entry"] = entry.facts() if entry is not None else None

    def walk(self, folder: Path) -> list[Path]:
        """Every non-hidden file under ``folder``, following symlinks that stay inside."""
        found: list[Path] = []
        seen: set[Path] = set()
        stack = [folder]
        while stack:
            current = stack.pop()
            real = current.resolve()
            if real in seen:  # a symlink loop, or two links to one folder
                continue
            seen.add(real)
            try:
                children = sorted(current.iterdir())
            except OSError as error:
                self.add(self.rel(current), 1, "unreadable", error=error.strerror or str(error))
                continue
            for child in children:
                if child.name.startswith(".") or is_system_file(child.name):
                    continue  # .gitkeep, .DS_Store, Thumbs.db, ~$报名表.docx: never content
                if child.is_symlink() and points_outside(child, self.root, self.content):
                    self.add(self.rel(child), 1, "symlink_outside", target=os.readlink(child))
                elif child.is_dir():
                    stack.append(child)
                else:
                    found.append(child)
        return found

    def rel(self, path: Path) -> str:
        return relative_posix(path, self.root)

    def check_path(self, path: Path) -> None:
        if undecodable(self.rel(path)):
            self.name_not_utf8(path)
            return
        if " " in path.name or "\u3000" in path.name:
            fixed = re.sub(r"[ \u3000]+", "-", path.name)
            self.add(self.rel(path), 1, "space_in_name", fixed=fixed)
        parts = PurePosixPath(self.rel(path)).parts
        if parts == ("content", "site.yaml"):
            return
        if len(parts) >= 3 and parts[1] == "files":
            self.check_attachment_file(path)
            return
        rel = self.rel(path)
        if self.from_cache(path, rel):
            return
        before = len(self.problems)
        try:
            source = read_content_file(path, self.root, self.language)
        except ContentError as error:
            self.problems.extend(error.problems)
            self.remember(rel, [p for p in error.problems if p.path == rel], None)
            return
        entry = self.check_entry(source)
        self.remember(rel, self.problems[before:], entry)

    def name_not_utf8(self, path: Path) -> None:
        rel = self.rel(path)
        bad = next(part for part in PurePosixPath(rel).parts if undecodable(part))
        guess = gbk_guess(bad)
        hint = self.t("name_gbk_guess", name=guess) if guess else ""
        self.problems.append(Problem(printable_path(rel), 1, self.t("name_not_utf8", hint=hint)))

    def check_attachment_file(self, path: Path) -> None:
        try:
            size = path.stat().st_size
        except OSError as error:  # e.g. a dangling symlink
            self.add(self.rel(path), 1, "unreadable", error=error.strerror or str(error))
            return
        megabytes = f"{size / 1048576:.1f}"
        photo = path.suffix.lower() in PHOTO_SUFFIXES
        if size > MAX_FILE_BYTES:
            key = "too_large_photo" if photo else "too_large"
            self.add(self.rel(path), 1, key, size=megabytes, limit=MAX_FILE_BYTES // 1048576)
        elif photo and size > HEAVY_PHOTO_BYTES:  # a phone's photo, as taken: slow on a phone
            text = self.t("heavy_photo", size=megabytes, limit=HEAVY_PHOTO_BYTES // 1048576)
            self.problems.append(Problem(self.rel(path), 1, text, warning=True))

    # --- site.yaml and entries ----------------------------------------------------------

    def check_site(self) -> None:
        path = self.content / "site.yaml"
        rel = "content/site.yaml"
        if not path.exists() and not path.is_symlink():
            self.add(rel, 1, "site_missing")
            return
        try:
            text = read_text_checked(path, self.root, self.language)
        except ContentError as error:
            self.problems.extend(error.problems)
            return
        document = parse_document(text, rel, self.language)
        if isinstance(document, Problem):
            self.problems.append(document)
            return
        data = texts_as_written(SITE, document.data, document.plain)  # phone: 0276…
        data = drop_blank(data if data is not None else {}, SITE)
        self.report_document(rel, document, SITE, data)
        if isinstance(data, dict):
            self.site = data
            self.site_lines = document.lines

    def report_document(self, rel: str, document: YamlDocument, schema: Option, data: Any) -> Any:
        clean, problems = document_problems(rel, document, schema, self.language, data)
        self.problems.extend(problems)
        return clean

    def check_entry(self, source: ContentFile) -> _Entry:
        rel = self.rel(source.path)
        meta = source.meta
        document = YamlDocument(meta, source.locations, source.duplicates)
        self.report_document(rel, document, FRONT_MATTER[source.type], meta)
        self.warn_far_ahead(rel, meta.get("date"), source.lines.get("date", 1))
        self.warn_expired(rel, meta, source.lines.get("expires", 1))
        self.warn_sample(rel, source)
        self.warn_simplified(rel, source)
        slug_value = meta.get("slug")
        if isinstance(slug_value, str) and slug_value.strip():
            slug, line = slug_value.strip(), source.lines.get("slug", 1)
        else:
            slug, line = source.path.stem.lower(), 1
        if source.type == "pages" and slug.lower() in RESERVED_PAGE_SLUGS:
            key = "page_reserved_slug" if line > 1 else "page_reserved"
            self.add(rel, line, key, slug=slug)
        links = markdown_links(source)
        first_line = body_offset(source)
        images = image_targets(source.body, first_line)
        self.problems.extend(link_form_problems(rel, links, images, self.language))
        if not self.raw_html():
            self.problems.extend(embed_problems(rel, source.body, first_line, self.language))
        series = meta.get("series") if source.type == "study" else None
        published = meta.get("status") not in ("draft", "hidden")
        attachments = meta.get("attachments")
        if (
            published
            and not source.body.strip(" \t\r\n\u3000")
            and not (
                attachments or meta.get("quiz")  # a form to download, a self-test: content enough
            )
        ):
            text = self.t("empty_body")  # a title alone, or a body of full-width spaces
            self.problems.append(Problem(rel, source.lines.get("title", 1), text, warning=True))
        entry = _Entry(
            path=source.path,
            rel=rel,
            type=source.type,
            slug=slug,
            slug_line=line,
            custom=[
                meta[key].strip()
                for key in ("url", "save_as")
                if isinstance(meta.get(key), str) and meta[key].strip()
            ],
            save_as=meta["save_as"].strip() if isinstance(meta.get("save_as"), str) else "",
            save_as_line=source.lines.get("save_as", 1),
            series=str(series) if series not in (None, "") and published else None,
            links=links,
            attachments=[
                (item["file"], source.locations.get(("attachments", index, "file"), 1))
                for index, item in enumerate(attachments if isinstance(attachments, list) else [])
                if isinstance(item, dict) and isinstance(item.get("file"), str)
            ],
            sameness=_sameness(meta, source.body) if published else "",
            title_line=source.lines.get("title", 1),
            declared=(value, source.lines.get("date", 1))
            if published and (value := declared_value(meta.get("date")))
            else None,
        )
        self.entries.append(entry)
        return entry

    def check_attachments(self, entry: _Entry) -> None:
        # Run on every check, cached entry or not: the files may have come or gone.
        for value, line in entry.attachments:
            target = attachment_path(value)
            if target is None or not (self.content / "files" / target).is_file():
                twin = case_twin(self.content / "files" / target) if target else None
                if twin is not None:  # PHOTO1.PNG written photo1.png: fine on Windows only
                    fixed = "files/" + twin.relative_to(self.content / "files").as_posix()
                    self.add(entry.rel, line, "case_differs", target=value, fixed=fixed)
                else:
                    self.add(entry.rel, line, "missing_attachment", target=value)

    def check_outputs(self) -> None:
        """A ``save_as`` naming a file another entry or the site itself writes (the home page,
        a listing, a feed): the build failed with a traceback, or the page replaced the home
        page without a word."""
        written: dict[str, _Entry] = {}
        for entry in sorted(self.entries, key=lambda e: (bool(e.save_as), e.rel)):
            target = output_file(entry.type, entry.slug, entry.save_as)
            other = written.setdefault(target.casefold(), entry)
            line, value = entry.save_as_line, entry.save_as
            if value and escapes_output(value):
                continue  # reported with the file's own problems
            if value and site_owned(target):
                self.add(entry.rel, line, "save_as_site", value=value)
            elif value and other is not entry:
                self.add(entry.rel, line, "save_as_taken", value=value, other=other.rel)

    def check_copies(self) -> None:
        """Two published entries with the same title, text and fields: a file copied in a
        file manager (``通知 - 副本.md``) and never changed is the same article twice on the
        site. The copy (by its name, else the name after the other) is told to go or to
        change (a warning)."""
        by_digest: dict[str, list[_Entry]] = {}
        for entry in self.entries:
            if entry.sameness:
                by_digest.setdefault(entry.sameness, []).append(entry)
        for group in by_digest.values():
            if len(group) < 2:
                continue
            # the copy: by its name, else the longer one (meeting-0305 after meeting)
            group.sort(key=lambda e: (looks_like_copy(e.path.stem), e.rel.rpartition(".")[0]))
            for copy in group[1:]:
                text = self.t("copy_of", other=group[0].rel)
                self.problems.append(Problem(copy.rel, copy.title_line, text, warning=True))

    def backdated(self) -> list[Problem]:
        """Explicit dates a portal will question (:mod:`tongxin.checkdates`)."""
        dated = [Dated(e.rel, e.declared[1], e.declared[0]) for e in self.entries if e.declared]
        return backdated_problems(
            self.root,
            dated,
            timezone=self.site.get("timezone"),
            language=self.language,
            cache_dir=self.cache_path.parent if self.cache_path else None,
        )

    def check_slugs(self) -> None:
        by_key: dict[tuple[str, str], list[_Entry]] = {}
        for entry in self.entries:
            by_key.setdefault((entry.type, entry.slug.lower()), []).append(entry)
        for group in by_key.values():
            if len(group) < 2:
                continue
            group.sort(key=lambda e: e.rel)
            for entry in group:
                other = next(e for e in group if e is not entry)
                self.add(
                    entry.rel, entry.slug_line, "duplicate_slug", slug=entry.slug, other=other.rel
                )

    # --- links -----------------------------------------------------------------------

    def check_links(self, entry: _Entry, links: SiteLinks) -> None:
        for line, target in entry.links:
            if is_local_path(target):
                continue  # reported with the file's own problems (linkrules)
            if not links.resolves(entry, target):
                fix = files_fix(target)
                if fix is not None and links.resolves(entry, fix):
                    self.add(entry.rel, line, "files_relative", target=target, fix=fix)
                    continue
                fixed = case_fix(entry.path.parent, target)
                if fixed is not None:  # ../files/photo1.png for PHOTO1.PNG
                    self.add(entry.rel, line, "case_differs", target=target, fixed=fixed)
                    continue
                key = "missing_attachment" if "files/" in target else "broken_link"
                self.add(entry.rel, line, key, target=target)


def _sameness(meta: dict[str, Any], body: str) -> str:
    """A digest of an entry as a reader sees it: its text and every field but its dates (a
    copy given a new date is the same article again), line ends and the spaces around them
    aside. Two quizzes of one title but other questions, or one title in two series, differ."""
    fields = {key: value for key, value in meta.items() if key not in ("date", "modified")}
    fields["title"] = " ".join(str(meta.get("title") or "").split())
    text = "\n".join(line.rstrip() for line in body.strip().splitlines())
    facts = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1(f"{facts}\0{text}".encode(), usedforsecurity=False).hexdigest()


def check_branch(
    root: Path, language: str | None = None, *, cache_dir: str | Path | None = None
) -> list[Problem]:
    """Every problem in the branch at ``root``, sorted by path and line.

    ``language`` overrides the site's own (``site.yaml`` ``language``, else zh-CN).
    ``cache_dir`` (a folder kept between builds, one per code version) remembers each
    file's own problems and facts, so an unchanged file is not read again.
    """
    return _Checker(Path(root), language, Path(cache_dir) if cache_dir else None).run()
