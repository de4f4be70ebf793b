"""The web editor of a branch site: Decap CMS at ``/admin/``.

On ``finalized`` writes ``OUTPUT/admin/index.html`` (loads the bundle, styles the preview
with the theme), ``OUTPUT/admin/config.yml`` (generated from the schema by
:func:`tongxin.editor.decap_config`) and copies the Decap bundle from the npm package
``decap-cms`` (pinned in package-lock.json, never committed, never fetched from a CDN: sites
sit on intranets). Only files whose size or content changed are copied again.
"""

from __future__ import annotations

import logging
import shutil
from html import escape
from pathlib import Path
from typing import Any

import yaml
from pelican import signals
from tongxin.plugins.build_state import previewing
from tongxin.plugins.search_index import node_modules_candidates

from tongxin.editor import current_git_branch, decap_config
from tongxin.i18n import normalise_language, translate

logger = logging.getLogger(__name__)

BUNDLE = "decap-cms.js"


class DecapMissing(RuntimeError):
    """node_modules/decap-cms was not installed (``npm ci`` or ``./scripts/setup`` does it)."""


def bundle_files(branch_root: Path | None, language: str | None = None) -> list[Path]:
    """The files of Decap's ``decap-cms`` build: the entry bundle, its chunks and wasm."""
    for folder in node_modules_candidates(branch_root):
        dist = folder / "decap-cms" / "dist"
        if (dist / BUNDLE).is_file():
            return sorted(
                path
                for path in dist.iterdir()
                if path.name == BUNDLE
                or path.name.endswith((".decap-cms.js", ".wasm"))
                or path.name == f"{BUNDLE}.LICENSE.txt"
            )
    where = ", ".join(str(c) for c in node_modules_candidates(branch_root))
    raise DecapMissing(translate(language, "editor.bundle_missing", where=where))


def index_html(site: dict[str, Any]) -> str:
    """The editor page: Decap's bundle and the theme's stylesheet for the preview pane."""
    language = normalise_language(site.get("language"))
    title = translate(language, "editor.page_title", site=site.get("name", ""))
    return (
        "<!doctype html>\n"
        f'<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(title)}</title>\n"
        '<link href="config.yml" type="text/yaml" rel="cms-config-url">\n'
        f'</head>\n<body>\n<script src="{BUNDLE}"></script>\n'
        '<script>CMS.registerPreviewStyle("../theme/css/site.css");</script>\n'
        "</body>\n</html>\n"
    )


def write_if_changed(target: Path, data: bytes) -> None:
    if target.is_file() and target.read_bytes() == data:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def write_editor(output: Path, site: dict[str, Any], branch_root: Path | None) -> Path:
    """Write ``output/admin/``; returns the folder."""
    admin = Path(output) / "admin"
    language = normalise_language(site.get("language"))
    for source in bundle_files(branch_root, language):
        target = admin / source.name
        if not (target.is_file() and target.stat().st_size == source.stat().st_size):
            admin.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    write_if_changed(admin / "index.html", index_html(site).encode())
    branch = current_git_branch(branch_root) if branch_root is not None else None
    config = yaml.safe_dump(
        decap_config(site, git_branch=branch), allow_unicode=True, sort_keys=False
    )
    write_if_changed(admin / "config.yml", config.encode())
    return admin


def build_editor(pelican: Any) -> None:
    settings = pelican.settings
    if previewing(settings):
        return
    site = settings.get("TONGXIN_SITE") or {}
    branch_root = Path(settings["PATH"]).resolve().parent
    write_editor(Path(pelican.output_path), site, branch_root)


def register() -> None:
    signals.finalized.connect(build_editor)
