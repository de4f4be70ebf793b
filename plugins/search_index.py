"""Search for a branch site: the sharded index, the search page and lunr.js.

When the entries are final the published articles and pages become
:class:`~tongxin.search.SearchDoc` and are indexed into ``OUTPUT/search/`` beside the page
writing (:func:`index_job`, in :data:`~tongxin.plugins.build_state.beside_pages`); on
``finalized`` the
search page (``search.html``) is rendered to ``OUTPUT/search/index.html`` and ``lunr.min.js``
is copied from the npm package into ``OUTPUT/theme/js/`` (it is never committed, see
package.json). The index reuses what the last build left in ``DIR/.tongxin-cache/search``.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.contents import Article, Page
from tongxin.plugins.build_state import beside_pages, previewing

import tongxin
from tongxin import fold
from tongxin.i18n import translate
from tongxin.parallel import Stream
from tongxin.search import IndexStats, SearchDoc
from tongxin.search.base import build_in_place
from tongxin.search.cache import TERMS_FILE, warm_terms
from tongxin.search.compress import compress_file, compress_tree, slim_scripts
from tongxin.search.model import body_field, title_field
from tongxin.settings import CACHE_DIR
from tongxin.text import plain_text

logger = logging.getLogger(__name__)


class LunrMissing(RuntimeError):
    """node_modules/lunr was not installed (``npm ci`` or ``./scripts/test`` installs it)."""


def node_modules_candidates(branch_root: Path | None) -> list[Path]:
    """Where lunr may be: ``TONGXIN_NODE_MODULES``, this checkout, then the branch folder."""
    found = []
    if os.environ.get("TONGXIN_NODE_MODULES"):
        found.append(Path(os.environ["TONGXIN_NODE_MODULES"]))
    found.append(Path(tongxin.__file__).resolve().parents[1] / "node_modules")
    if branch_root is not None:
        found.append(Path(branch_root) / "node_modules")
    return found


def copy_lunr(output: Path, branch_root: Path | None, language: str | None = None) -> Path:
    """Copy ``lunr.min.js`` into ``output/theme/js/``; :class:`LunrMissing` if not installed."""
    candidates = node_modules_candidates(branch_root)
    for folder in candidates:
        source = folder / "lunr" / "lunr.min.js"
        if source.is_file():
            target = Path(output) / "theme" / "js" / "lunr.min.js"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            return target
    raise LunrMissing(
        translate(language, "search.lunr_missing", where=", ".join(str(c) for c in candidates))
    )


def _entry_type(content: Any, default: str) -> str:
    return str(getattr(content, "type", None) or content.metadata.get("type") or default)


def search_cache_dir(settings: dict[str, Any]) -> Path:
    """The fold table, terms, base and built shards of the last build (a rebuild writes a
    delta of the entries that changed): ``DIR/.tongxin-cache/search``."""
    return Path(settings["PATH"]).resolve().parent / CACHE_DIR / "search"


def _texts(title: Any, content: Any, summary: Any, tags: Any, author: Any = "") -> dict[str, Any]:
    """The searched fields of an entry from its HTML (one rule for the index and the warm-up)."""
    return {
        "title": plain_text(title or ""),
        "text": plain_text(content or ""),
        "summary": plain_text(summary or ""),
        "tags": tuple(str(tag) for tag in tags or ()),
        "author": str(author or ""),
    }


def search_docs(
    articles: Iterable[Any], pages: Iterable[Any], siteurl: str, branch: str, language: str = ""
) -> list[SearchDoc]:
    """Published articles and pages as search documents (drafts and hidden ones are never
    in these lists: Pelican keeps them apart); an entry whose ``lang`` is not the site's
    ``language`` carries it."""
    docs = []
    for content, default_type in [(a, "news") for a in articles] + [(p, "pages") for p in pages]:
        if getattr(content, "status", "published") != "published":
            continue
        absolute = f"{siteurl}/{content.url}" if siteurl else f"/{content.url}"
        texts = _texts(
            getattr(content, "title", ""),
            getattr(content, "content", ""),
            getattr(content, "summary", ""),
            getattr(content, "tags", None),
            getattr(content, "author", None),
        )
        docs.append(
            SearchDoc(
                id=str(getattr(content, "entry_id", None) or absolute),
                # relative to the site's root: the page resolves it against its own address,
                # so a site served from another origin or a sub-path links its own pages
                url=content.url,
                branch=branch,
                type=_entry_type(content, default_type),
                date=getattr(content, "date", None),
                lang=lang if (lang := str(getattr(content, "lang", "") or "")) != language else "",
                **texts,
            )
        )
    return docs


# --------------------------------------------------------------------------- the warm-up
# A cold build (a fresh clone in CI: no terms cache) reads every file on one core before any
# page is written, and its index then tokenizes every text, on the critical path at the end.
# Instead each entry's HTML goes, as it is read, to a child that tokenizes it into the terms
# cache; the index waits for that child and finds every text there. (The HTML as read, before
# its links are resolved: the same text. An entry a later plugin changes is a cache miss,
# tokenized by the index as before.)

_warm: list[Stream] = []


def start_warm_up(pelican: Any) -> None:
    """On ``initialized``: a warm-up child for a full build with no terms cache yet."""
    for stream in _warm:
        stream.abandon()  # one a failed build left
    _warm.clear()
    settings = pelican.settings
    if previewing(settings):
        return
    cache_dir = search_cache_dir(settings)
    if (cache_dir / TERMS_FILE).exists():
        return
    _warm.append(Stream(_warm_up, cache_dir, name="tongxin search warm-up"))


def _warm_up(items: Iterable[tuple[Any, ...]], cache_dir: Path) -> None:
    fold.use_cache_dir(cache_dir)
    texts = (
        text
        for item in items
        for doc in [SearchDoc(id="", url="", **_texts(*item))]
        for text in (title_field(doc), body_field(doc))
    )
    warm_terms(texts, cache_dir / TERMS_FILE)


def send_to_warm_up(content: Any) -> None:
    """On ``content_object_init``: an article's or page's HTML, as read, to the warm-up."""
    if not _warm or not isinstance(content, Article | Page):
        return
    # plain strings: a Tag carries the build's settings, which need not pickle
    title, summary = str(getattr(content, "title", "") or ""), content.metadata.get("summary")
    tags = [str(tag) for tag in getattr(content, "tags", None) or ()]
    # (an author git gives later, by another plugin, misses only the title field's cache)
    author = str(getattr(content, "author", "") or "")
    _warm[0].send((title, content._content, str(summary or ""), tags, author))


def render_search_page(generator: Any, output: Path) -> Path:
    """Render ``search.html`` with the generator's Jinja environment and context."""
    template = generator.get_template("search")
    context = dict(generator.context)
    context["output_file"] = "search/index.html"
    if generator.settings.get("RELATIVE_URLS"):
        context["SITEURL"] = ".."  # own pages and assets relative: any origin works
    target = Path(output) / "search" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(template.render(**context), encoding="utf-8")
    return target


#: The generators of the build whose index is on its way (the search page needs their
#: templates and context on ``finalized``).
_page_generators: list[Any] = []


def queue_index(generators: Any) -> None:
    """On ``all_generators_finalized``: the index is a job beside the page writing
    (:data:`~tongxin.plugins.build_state.beside_pages`; it needs nothing the pages write)."""
    generators = list(generators)
    if not generators or previewing(generators[0].settings):
        return
    _page_generators[:] = generators
    first = generators[0]
    warm = _warm[0] if _warm else None
    if warm is not None:
        warm.close()  # before the index's child is forked: it must not hold the pipe
    beside_pages.add("search", index_job, generators, first.settings, first.output_path, warm)


def index_job(
    generators: list[Any],
    settings: dict[str, Any],
    output_path: str,
    warm: Stream | None = None,
) -> IndexStats:
    """The published articles and pages as search documents, indexed into ``search/``
    (after the warm-up, if any, has tokenized their texts)."""
    articles: list[Any] = []
    pages: list[Any] = []
    for generator in generators:
        articles.extend(getattr(generator, "articles", []) or [])
        pages.extend(getattr(generator, "pages", []) or [])
    cache_dir = search_cache_dir(settings)
    fold.use_cache_dir(cache_dir)
    docs = search_docs(
        articles,
        pages,
        settings.get("SITEURL", ""),
        settings.get("SITENAME", ""),
        settings.get("DEFAULT_LANG", ""),
    )
    if warm is not None:
        warm.wait()
    return index_and_compress(docs, Path(output_path), cache_dir)


def index_and_compress(docs: list[SearchDoc], output: Path, cache_dir: Path) -> IndexStats:
    """The index, and its gzip copies for servers that send them (docs/deploy.md): both
    beside the page writing."""
    stats = build_in_place(docs, output, cache_dir)
    compress_tree(output / "search")
    return stats


def build_search(pelican: Any) -> None:
    """On ``finalized``: take the index, render the search page, copy lunr."""
    stats = beside_pages.result("search")
    for stream in _warm:
        stream.finish()
    _warm.clear()
    generators, _page_generators[:] = list(_page_generators), []
    if stats is None:
        return
    settings = pelican.settings
    output = Path(pelican.output_path)
    branch_root = Path(settings["PATH"]).resolve().parent
    copy_lunr(output, branch_root, settings.get("DEFAULT_LANG"))
    for generator in generators:
        if hasattr(generator, "get_template") and hasattr(generator, "env"):
            render_search_page(generator, output)
            break
    slim_scripts(output / "theme" / "js")
    # gzip copies: the search data's are written beside the index; the page's and the theme's
    compress_file(str(output / "search" / "index.html"))
    compress_tree(output / "theme")
    logger.info(
        "search: %d entries, %d shards (%d files reused), %.1f kB in %.2f s",
        stats.docs,
        stats.shards,
        stats.reused,
        stats.bytes / 1024,
        stats.seconds,
    )


def register() -> None:
    beside_pages.connect()
    signals.initialized.connect(start_warm_up)
    signals.content_object_init.connect(send_to_warm_up)
    signals.all_generators_finalized.connect(queue_index)
    signals.finalized.connect(build_search)
