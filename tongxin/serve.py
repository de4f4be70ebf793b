"""``tongxin serve``: a local preview that rebuilds on save and reloads the open page.

A watcher thread compares a signature of ``content/`` (every file's path, size and mtime)
four times a second; when it changes, the edited entries' own pages are written first (a
preview build: ``build_site(..., preview=pages)``) and a build counter goes up, then the
branch is rebuilt (incrementally: unchanged pages are kept, see ``plugins/incremental.py``)
and the counter goes up again. Every HTML page the
preview serves carries a few lines of script that ask ``/__tongxin/build?after=N``, which
answers as soon as the counter moves past N (or after ``WAIT_SECONDS``), and reload when it
moved: the page in the browser follows the editor's save with no polling delay. A failed
rebuild prints its problems, leaves the last good preview in place and moves the counter
too: every page the preview serves (and its "no such page" answer) then opens with the
problems, file and line, until a save fixes them (an editor who never looks at the terminal
used to see the old page, or a page "not there yet", and no reason). With ``editor=True``
the web editor's local backend (decap-server, :mod:`tongxin.editor_local`) runs too, writing
into this branch, so ``/admin/`` works on this computer.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from html import escape as html_escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from tongxin.build import BuildFailed, build_site
from tongxin.i18n import translate
from tongxin.problems import errors_in

POLL_SECONDS = 0.25
BUILD_PATH = "/__tongxin/build"
#: How long a page's question "has the build moved past N?" is held open (long polling).
WAIT_SECONDS = 20.0
#: Reloads the page once the build counter moves past the one it was served at (``%s``,
#: filled in as the page is served). Asking for the counter after the load instead lost a
#: save on a busy machine: when the rebuild ended before the script's first question, the
#: page took the new counter for its own and never reloaded.
RELOAD_SCRIPT = (
    "<script>(function(){var b='%s';function ask(){fetch('" + BUILD_PATH + "?after='+b,"
    "{cache:'no-store'}).then(function(r){return r.text()}).then(function(t){"
    "if(t!==b){location.reload();return}ask()}).catch(function(){"
    "setTimeout(ask,1000)})}ask()})();</script>"
)

#: The last rebuild's problems as JSON, for the web editor (which is never reloaded: an
#: editor would lose what they are typing).
PROBLEMS_PATH = "/__tongxin/problems"
#: Shown in /admin/: the problems of the last rebuild in a box at the foot of the editor,
#: gone once a save fixes them (a trial: a bad save froze the preview, and the editor, who
#: had seen "内容已保存", was not told).
ADMIN_SCRIPT = (
    "<script>(function(){var box=null;function show(d){if(!d.problems.length){"
    "if(box){box.remove();box=null}return}if(!box){box=document.createElement('div');"
    "box.id='tongxin-problems';box.setAttribute('role','alert');box.style.cssText="
    "'position:fixed;left:0;right:0;bottom:0;z-index:99999;max-height:40vh;overflow:auto;"
    "background:#fff4e5;color:#5f2b00;border-top:3px solid #d9480f;padding:.6em 1em;"
    "font:15px/1.5 sans-serif';document.body.appendChild(box)}box.textContent='';"
    "var t=document.createElement('strong');t.textContent=d.title;box.appendChild(t);"
    "var u=document.createElement('ul');u.style.margin='.3em 0 0 1.2em';d.problems.forEach("
    "function(p){var li=document.createElement('li');li.textContent=p;u.appendChild(li)});"
    "box.appendChild(u)}function ask(){fetch('" + PROBLEMS_PATH + "',{cache:'no-store'})"
    ".then(function(r){return r.json()}).then(show).catch(function(){}).then(function(){"
    "setTimeout(ask,2000)})}ask()})();</script>"
)

#: How long a page found cut short (a build is writing it) is read again before it is served.
PAGE_WAIT_SECONDS = 2.0


def read_page(target: Path) -> str:
    """The HTML of ``target``, read again for up to :data:`PAGE_WAIT_SECONDS` while it has no
    ``</body>`` yet: a build writing it (Pelican truncates, then writes) may be caught
    between the two, and a page served empty or cut short, without its reload script, never
    reloaded again (on a busy machine an edit then never showed)."""
    deadline = time.monotonic() + PAGE_WAIT_SECONDS
    while True:
        try:
            html = target.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:  # replaced or removed meanwhile
            html = ""
        if "</body>" in html or time.monotonic() >= deadline:
            return html
        time.sleep(0.05)


def with_reload_script(html: str, generation: int) -> str:
    """``html`` with the reload script for ``generation`` before its ``</body>``, or at its end
    when it has none (a page without one still follows the next build)."""
    return with_script(html, RELOAD_SCRIPT % generation)


def with_script(html: str, script: str) -> str:
    """``html`` with ``script`` before its ``</body>``, or at its end when it has none."""
    if "</body>" in html:
        return html.replace("</body>", script + "</body>", 1)
    return html + script


_TITLE_LINE = re.compile(r"^title:[ \t]*['\"]?(.*?)['\"]?[ \t]*$", re.MULTILINE)


def titled(root: Path, problem: str, language: str) -> str:
    """``problem`` (``content/news/20261207-231300.md:2: …``) with the entry's title first:
    the web editor lists entries by title, never by file name."""
    rel = problem.split(":", 1)[0]
    if not rel.startswith("content/") or not rel.endswith((".md", ".markdown", ".yaml", ".yml")):
        return problem
    try:
        head = (Path(root) / rel).read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return problem
    found = _TITLE_LINE.search(head)
    title = found.group(1).strip() if found else ""
    if not title:
        return problem
    return translate(language, "cli.problem_titled", title=title, problem=problem)


def content_signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of every file under ``root/content``: changes on any save."""
    found = []
    for folder, _dirs, files in os.walk(Path(root) / "content"):
        for name in files:
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            found.append((path, stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))


class Rebuilder:
    """Rebuilds the preview when ``content/`` changes; ``generation`` counts good builds."""

    def __init__(
        self, root: Path, output: Path, siteurl: str, language: str, report: Callable[[str], None]
    ) -> None:
        self.root, self.output, self.siteurl, self.report = root, output, siteurl, report
        self.language = language
        self.generation = 0
        self.moved = threading.Condition()
        self.building = False
        self.signature = content_signature(root)
        self.stopped = threading.Event()
        #: the last rebuild's problems (none once a rebuild succeeds)
        self.problems: list[str] = []

    def rebuild_if_changed(self) -> bool:
        signature = content_signature(self.root)
        if signature == self.signature:
            return False
        changed = {path for path, _size, _mtime in set(signature) - set(self.signature)}
        self.signature = signature
        started = time.monotonic()
        self.building = True
        try:
            # The edited entries' own pages first (a preview build writes only them, from all
            # the content), so the open page shows the save at once; then the full build.
            pages = [p.relative_to(self.output).as_posix() for p in self.pages_of(changed)]
            if pages:
                build_site(
                    self.root,
                    self.output,
                    self.siteurl,
                    progress=False,
                    warnings_to=None,
                    preview=pages,
                )
                self.bump()
            result = build_site(self.root, self.output, self.siteurl, progress=False)
        except BuildFailed as error:
            for problem in error.problems:
                self.report(str(problem))
            # the page shows what stopped the build (its warnings are in the terminal): a
            # trial's banner hid 2 errors among 5 warnings
            errors = errors_in(error.problems) or error.problems
            self.problems = [titled(self.root, str(p), self.language) for p in errors]
            self.bump()  # open pages reload and show the problems
            return False
        finally:
            self.building = False
        self.problems = []
        self.bump()
        seconds = f"{time.monotonic() - started:.2f}"
        self.report(
            translate(self.language, "cli.rebuilt", entries=result.entries, seconds=seconds)
        )
        return True

    def banner(self) -> str:
        """The last rebuild's problems as HTML at the top of a page ("" when it succeeded)."""
        problems = self.problems
        if not problems:
            return ""
        items = "".join(f"<li>{html_escape(problem)}</li>" for problem in problems[:20])
        title = html_escape(translate(self.language, "cli.preview_problems"))
        return (
            '<div id="tongxin-problems" role="alert" style="position:sticky;top:0;z-index:99999;'
            "background:#fff4e5;color:#5f2b00;border-bottom:3px solid #d9480f;padding:.8em 1em;"
            f'font:15px/1.5 sans-serif"><strong>{title}</strong><ul style="margin:.4em 0 0 1.2em;'
            f'padding:0">{items}</ul></div>'
        )

    def pages_of(self, sources: set[str]) -> list[Path]:
        """The output pages of changed entry files (``news/<slug>/index.html``)."""
        from tongxin.frontmatter import ContentError, content_type_of, read_content_file

        pages = []
        for source in sorted(sources):
            kind = content_type_of(Path(source), self.root)
            if kind is None:
                continue
            try:
                meta = read_content_file(Path(source), self.root).meta
            except (ContentError, OSError):
                continue
            slug = str(meta.get("slug") or Path(source).stem.lower())
            folder = self.output / slug if kind == "pages" else self.output / kind / slug
            pages.append(folder / "index.html")
        return pages

    def bump(self) -> None:
        """The build counter moves on: pages waiting for it reload."""
        with self.moved:
            self.generation += 1
            self.moved.notify_all()

    def generation_after(self, seen: str, timeout: float = WAIT_SECONDS) -> int:
        """The counter once it is not ``seen`` (at once if it is not), or after ``timeout``."""
        with self.moved:
            self.moved.wait_for(lambda: str(self.generation) != seen, timeout)
            return self.generation

    def watch(self) -> None:
        while not self.stopped.wait(POLL_SECONDS):
            self.rebuild_if_changed()


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, with the reload script in every HTML page and the build counter."""

    rebuilder: Rebuilder

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == PROBLEMS_PATH:
            title = translate(self.rebuilder.language, "cli.editor_problems")
            found = {"title": title, "problems": self.rebuilder.problems[:20]}
            self.reply(json.dumps(found, ensure_ascii=False).encode(), "application/json")
            return
        if path == BUILD_PATH:
            seen = parse_qs(query).get("after", [""])[0]
            self.reply(str(self.rebuilder.generation_after(seen)).encode(), "text/plain")
            return
        target = Path(self.translate_path(path))
        if target.is_dir():
            target = target / "index.html"
        if path.startswith("/admin") and target.name == "index.html" and target.is_file():
            html = with_script(read_page(target), ADMIN_SCRIPT)  # problems, never a reload
            self.reply(html.encode(), "text/html; charset=utf-8")
            return
        if target.suffix == ".html" and target.is_file() and not path.startswith("/admin"):
            generation = self.rebuilder.generation  # before the file is read: never newer
            html = with_reload_script(read_page(target), generation)
            banner = self.rebuilder.banner()
            if banner:
                html = re.sub(r"(<body[^>]*>)", lambda m: m[1] + banner, html, count=1)
            self.reply(html.encode(), "text/html; charset=utf-8")
            return
        super().do_GET()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            super().send_error(code, message, explain)
            return
        # Python's own 404 page is English: say it in the site's language, with a way home.
        path = html_escape(self.path.partition("?")[0])
        text = translate(self.rebuilder.language, "cli.preview_not_found", path=path)
        lang = html_escape(self.rebuilder.language)
        generation = self.rebuilder.generation
        body = f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>404</title>'
        body += f"<body>{self.rebuilder.banner()}<h1>404</h1><p>{text}</p>"
        body += f'<p><a href="/">/</a></p>{RELOAD_SCRIPT % generation}</body></html>'
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body.encode())))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body.encode())

    def reply(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class QuietServer(http.server.ThreadingHTTPServer):
    """A page reloading mid-request closes its connection: not worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def serve_preview(
    root: Path, output: Path, port: int, language: str, *, editor: bool = False
) -> None:
    """Serve ``output`` on 127.0.0.1:``port`` until interrupted, rebuilding on save."""
    from tongxin.settings import load_site

    siteurl = f"http://127.0.0.1:{port}"
    rebuilder = Rebuilder(root, output, siteurl, language, lambda line: print(line, flush=True))
    handler = type("Handler", (PreviewHandler,), {"rebuilder": rebuilder})
    server = QuietServer(("127.0.0.1", port), functools.partial(handler, directory=str(output)))
    watcher = threading.Thread(target=rebuilder.watch, daemon=True)
    # `kill` (SIGTERM) stops the preview as Ctrl+C does, so the editor's backend stops too
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.ExitStack() as stack:
        if editor:
            from tongxin.editor import DEFAULT_LOCAL_PORT
            from tongxin.editor_local import local_backend

            settings = load_site(root).get("editor") or {}
            backend_port = int(settings.get("local_port") or DEFAULT_LOCAL_PORT)
            commit = settings.get("commit") is True
            stack.enter_context(local_backend(root, backend_port, commit=commit))
            print(translate(language, "cli.editor_at", url=f"{siteurl}/admin/"), flush=True)
        watcher.start()
        print(translate(language, "cli.serving", url=siteurl + "/"), flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print(translate(language, "cli.stopped"))
        finally:
            rebuilder.stopped.set()
            server.server_close()
