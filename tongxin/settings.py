"""Pelican settings for a branch, computed from its ``content/site.yaml``.

One function feeds both ``tongxin build`` and the demo's ``pelicanconf.py`` so that a site
built either way is the same site. Editors never edit Python: everything a branch may
choose lives in ``site.yaml``; everything else is decided here, once, for all branches.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.metadata
import importlib.util
import os
from pathlib import Path
from typing import Any

import tongxin.theme
from tongxin.checknames import SYSTEM_FILE_PATTERNS
from tongxin.config.content import ARTICLE_TYPES, CONTENT_TYPES, SITE
from tongxin.config.options import texts_as_written
from tongxin.frontmatter import drop_blank
from tongxin.i18n import normalise_language, translate
from tongxin.theme.helpers import HELPERS
from tongxin.yamlsrc import YamlSyntaxError, load_yaml
from tongxin.zones import DEFAULT_TIMEZONE

CACHE_DIR = ".tongxin-cache"
#: A setting: the output pages (paths relative to the output) a preview build writes, ahead of
#: the full build (``tongxin serve``); every other output is left as it is.
PREVIEW_PAGES = "TONGXIN_PREVIEW_PAGES"

#: Our plugins, in the order they must register: strict_build first so that it sees
#: every error logged by the others. Optional ones are listed only when their module exists.
CORE_PLUGINS = (
    "tongxin.plugins.strict_build",
    "tongxin.plugins.readers",
    "tongxin.plugins.git_dates",
    "tongxin.plugins.content_types",
    "tongxin.plugins.incremental",
)
OPTIONAL_PLUGINS = (
    "tongxin.plugins.feeds",
    "tongxin.plugins.feed_signing",
    "tongxin.plugins.json_api",
    "tongxin.plugins.search_index",
    "tongxin.plugins.editor",
)


@functools.cache
def package_digest() -> str:
    """A hash of the installed tongxin code, theme and catalogues (computed once per process).

    Contents, not mtimes: touching or re-checking out a file does not invalidate builds.
    """
    import tongxin
    import tongxin.plugins

    digest = hashlib.sha256()
    try:
        digest.update(importlib.metadata.version("tongxin").encode())
    except importlib.metadata.PackageNotFoundError:
        digest.update(b"unversioned")
    folders = [Path(str(m.__file__)).parent for m in (tongxin, tongxin.plugins, tongxin.theme)]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts or "scaffold" in path.parts or not path.is_file():
                continue
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class SiteTranslator:
    """``t('theme.home')`` for templates, bound to the site language.

    A class rather than a closure: Pelican's content cache pickles objects that hold the
    settings, and a closure cannot be pickled.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        self._plain: dict[Any, str] = {}

    def __call__(self, key: str, **values: Any) -> str:
        # Templates ask for the same few strings on every page, many with the same
        # fields (a series name, a page number): remember them (catalogues do not change
        # during a build).
        memo = (key, *sorted(values.items())) if values else key
        try:
            found = self._plain.get(memo)
        except TypeError:  # a field value that cannot be a dict key
            return translate(self.language, key, **values)
        if found is None:
            found = self._plain[memo] = translate(self.language, key, **values)
        return found

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.language = state["language"]
        self._plain = {}


def site_context(site: dict[str, Any], language: str, url: str) -> dict[str, Any]:
    """The ``site`` object every template gets (docs/internals.md, "Theme context")."""
    return {
        "name": str(site.get("name") or ""),
        "url": url.rstrip("/") + "/" if url else "",
        "language": language,
        "description": site.get("description"),
        "contact": site.get("contact") if isinstance(site.get("contact"), dict) else None,
        "nav": site.get("nav") if isinstance(site.get("nav"), list) else [],
        "parent": site.get("parent"),
        "is_portal": False,
    }


def _bytecode_cache(folder: Path) -> Any:
    from jinja2 import FileSystemBytecodeCache

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # read-only checkout: compile every time
    return FileSystemBytecodeCache(str(folder))


def theme_path() -> Path:
    """The folder of the theme shipped with the package (templates/ and static/)."""
    return Path(tongxin.theme.__file__).parent


def module_exists(name: str) -> bool:
    """True when ``name`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def load_site(root: Path) -> dict[str, Any]:
    """``content/site.yaml`` as a dict; ``{}`` when missing or unreadable.

    Validation (``tongxin check``) reports a broken site.yaml with its line; here we only
    need usable defaults so that settings can always be computed.
    """
    try:
        text = (Path(root) / "content" / "site.yaml").read_text(encoding="utf-8-sig")
        document = load_yaml(text)
    except (OSError, UnicodeDecodeError, YamlSyntaxError):
        return {}
    data = document.data
    if not isinstance(data, dict):
        return {}
    # a phone 02765432100 unquoted is octal to YAML: text fields are the text as written
    data = texts_as_written(SITE, data, document.plain)
    # fields the web editor wrote empty ("") count as not written, as tongxin check has it
    return drop_blank(data, SITE)


def plugin_names() -> list[str]:
    """The plugins a branch build loads: ours, plus the optional ones that exist.

    ``TONGXIN_DISABLE_PLUGINS`` (comma-separated short names, e.g. ``search_index``) drops
    optional plugins: ``scripts/bench-build --without search_index`` measures each part's share.
    """
    disabled = {
        f"tongxin.plugins.{name.strip()}"
        for name in os.environ.get("TONGXIN_DISABLE_PLUGINS", "").split(",")
        if name.strip()
    }
    optional = [name for name in OPTIONAL_PLUGINS if name not in disabled]
    return list(CORE_PLUGINS) + [name for name in optional if module_exists(name)]


#: Where content comes from and where pages go (docs/internals.md, "Branch content").
LAYOUT: dict[str, Any] = {
    "ARTICLE_PATHS": list(ARTICLE_TYPES),
    "PAGE_PATHS": ["pages"],
    "STATIC_PATHS": ["files"],
    # Thumbs.db, desktop.ini, ~$ Office lock files: Windows' own, never published. Only these
    # and dot-files, as tongxin check has it: a file it checks is published (Pelican's own
    # default also skipped _*.md and #*.md, which vanished from the site without a word).
    "IGNORE_FILES": [".*", *SYSTEM_FILE_PATTERNS],
    # The slug comes from the file name, never the title (see content_types); these
    # patterns only apply to ASCII slugs, content_types sets url/save_as itself.
    "SLUGIFY_SOURCE": "basename",
    # Tag (and series) slugs keep their Chinese: pinyin would merge 党建 and 当建.
    "SLUGIFY_USE_UNICODE": True,
    "ARTICLE_URL": "{category}/{slug}/",
    "ARTICLE_SAVE_AS": "{category}/{slug}/index.html",
    "ARTICLE_LANG_URL": "{category}/{slug}/{lang}/",
    "ARTICLE_LANG_SAVE_AS": "{category}/{slug}/{lang}/index.html",
    "DRAFT_URL": "drafts/{category}/{slug}/",
    "DRAFT_SAVE_AS": "drafts/{category}/{slug}/index.html",
    "PAGE_URL": "{slug}/",
    "PAGE_SAVE_AS": "{slug}/index.html",
    "PAGE_LANG_URL": "{slug}/{lang}/",
    "PAGE_LANG_SAVE_AS": "{slug}/{lang}/index.html",
    "DRAFT_PAGE_URL": "drafts/{slug}/",
    "DRAFT_PAGE_SAVE_AS": "drafts/{slug}/index.html",
    # The category is the type: its listing is /news/, /announcements/, /study/.
    "CATEGORY_URL": "{slug}/",
    "CATEGORY_SAVE_AS": "{slug}/index.html",
    "CATEGORIES_SAVE_AS": "",
    "TAG_URL": "tags/{slug}/",
    "TAG_SAVE_AS": "tags/{slug}/index.html",
    "TAGS_SAVE_AS": "tags/index.html",
    "ARCHIVES_SAVE_AS": "archives/index.html",
    # Authors come from front matter or git and are not worth a page each.
    "AUTHOR_SAVE_AS": "",
    "AUTHORS_SAVE_AS": "",
    "DIRECT_TEMPLATES": ["index", "tags", "archives"],
    "DEFAULT_PAGINATION": 20,
    "PAGINATION_PATTERNS": [
        (1, "{url}", "{save_as}"),
        (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
    ],
    "PAGE_ORDER_BY": "basename",
    "DEFAULT_DATE_FORMAT": "%Y-%m-%d",
    # Links to the site's own pages and assets are relative, so a build works from any origin
    # (intranet IP, staging host); feeds, canonical links and api/ stay absolute (site url).
    "RELATIVE_URLS": True,
    "MARKDOWN": {
        "extension_configs": {
            "markdown.extensions.codehilite": {"css_class": "highlight"},
            "markdown.extensions.extra": {},
            # a line break is a line break: editors type (and WeChat and Word paste) one
            # paragraph a line, and 1、… 2、… lines ran into one paragraph
            "markdown.extensions.nl2br": {},
        },
        "output_format": "html5",
    },
}


def _feed_settings(url: str, own_feeds: bool) -> dict[str, Any]:
    """Feeds: plugins/feeds.py writes ours; without it, Pelican's own at the same paths."""
    return {
        "FEED_DOMAIN": url.rstrip("/"),
        "FEED_ALL_ATOM": None if own_feeds else "feeds/all.atom.xml",
        "FEED_ALL_RSS": None if own_feeds else "feeds/all.rss.xml",
        "CATEGORY_FEED_ATOM": None if own_feeds else "feeds/{slug}.atom.xml",
        "CATEGORY_FEED_RSS": None,
        "TRANSLATION_FEED_ATOM": None,
        "TRANSLATION_FEED_RSS": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
        "TAG_FEED_ATOM": None,
        "TAG_FEED_RSS": None,
        "RSS_FEED_SUMMARY_ONLY": False,
    }


def pelican_settings(
    root: str | Path,
    output: str | Path | None = None,
    siteurl: str | None = None,
    *,
    checked: bool = False,
) -> dict[str, Any]:
    """Pelican settings (to pass through ``pelican.settings.configure_settings``) for a branch.

    ``root`` is the branch repository (holding ``content/``); ``output`` defaults to
    ``root/output``; ``siteurl`` overrides ``site.yaml``'s ``url`` (local preview, demo).
    ``checked`` tells the strict-build plugin that validation already ran.
    """
    root = Path(root).resolve()
    site = load_site(root)
    language = normalise_language(site.get("language") if isinstance(site, dict) else None)
    url = siteurl if siteurl is not None else str(site.get("url") or "")
    plugins = plugin_names()
    own_feeds = "tongxin.plugins.feeds" in plugins

    settings: dict[str, Any] = {
        "PATH": str(root / "content"),
        "OUTPUT_PATH": str(Path(output).resolve() if output else root / "output"),
        "SITENAME": str(site.get("name") or root.name),
        "SITEURL": url.rstrip("/"),
        "DEFAULT_LANG": language,
        "TIMEZONE": str(site.get("timezone") or DEFAULT_TIMEZONE),
        "THEME": str(theme_path()),
        "PLUGINS": plugins,
        **copy.deepcopy(LAYOUT),  # Pelican may change what it is given
        # Pelican's content cache: an unchanged file is not parsed again. The reader layer
        # (not the generator layer) so that git dates and build-time flags are recomputed.
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        "CONTENT_CACHING_LAYER": "reader",
        "CHECK_MODIFIED_METHOD": "mtime",
        # Per code version: a cache written by other code (other reader classes) is not reused.
        "CACHE_PATH": str(root / CACHE_DIR / f"pelican-{package_digest()[:12]}"),
        "GZIP_CACHE": False,
        # Compiled templates kept between builds: compiling the theme costs more than a
        # rebuild of a small site.
        "JINJA_ENVIRONMENT": {
            "trim_blocks": True,
            "lstrip_blocks": True,
            "extensions": [],
            # Front-matter text (titles, tags, quiz text) is escaped, as on the portal, which
            # renders the same theme: only the sanitised bodies are marked |safe.
            "autoescape": True,
            # Templates do not change during a build: no stat() per include.
            "auto_reload": False,
            "bytecode_cache": _bytecode_cache(root / CACHE_DIR / "jinja"),
        },
        **_feed_settings(url, own_feeds),
        # What every template gets (docs/internals.md, "Theme context").
        "JINJA_GLOBALS": {
            "site": site_context(site, language, str(site.get("url") or url)),
            "t": SiteTranslator(language),
            "page_lang": language,
            "theme_helpers": HELPERS,
        },
        # Our own values, for plugins and templates.
        "TONGXIN_ROOT": str(root),
        "TONGXIN_SITE": site,
        "TONGXIN_CHECKED": checked,
        "TONGXIN_CONTENT_TYPES": list(CONTENT_TYPES),
    }
    return settings


def configured_settings(
    root: str | Path,
    output: str | Path | None = None,
    siteurl: str | None = None,
    *,
    checked: bool = False,
) -> dict[str, Any]:
    """:func:`pelican_settings` merged with Pelican's defaults, ready for ``Pelican(...)``."""
    from pelican.settings import read_settings

    return read_settings(None, override=pelican_settings(root, output, siteurl, checked=checked))
