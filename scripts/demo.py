"""The whole federation on one machine: four branch sites and three nested portals.

Branches are built from the embedded demo content (``content/`` and ``demo/branches/*``) and
served on loopback ports; then the county, city and province portals are federated in turn,
each reading the feeds of the level below over real HTTP, exactly as cron would.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from datetime import date, datetime, time, timedelta, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TONGXIN = str(ROOT / ".venv" / "bin" / "tongxin")
BRANCHES = {
    "dongjiang": ROOT,
    "xiyuan": ROOT / "demo" / "branches" / "xiyuan",
    "nanhu": ROOT / "demo" / "branches" / "nanhu",
    "tech-union": ROOT / "demo" / "branches" / "tech-union",
}
PORTALS = ("county", "city", "province")
SITE_ZONE = timezone(timedelta(hours=8))  # the demo sites' (Asia/Shanghai, no summer time)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(directory: Path, port: int) -> ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(*args: str) -> None:
    print("$", " ".join(args), flush=True)
    subprocess.run(args, check=True)


def localise_registry(source: Path, target: Path, urls: dict[str, str], own_url: str) -> None:
    """Swap the registry's placeholders for local addresses (see demo/registries/README.md)."""
    text = source.read_text(encoding="utf-8")
    for name, url in urls.items():
        text = text.replace("{" + name + "}", url)
    # The portal's own address becomes its local one, so its links work in the browser.
    text = re.sub(r"(?m)^url:.*$", f"url: {own_url}/", text, count=1)
    target.write_text(text, encoding="utf-8")


def dated_repository(source: Path, target: Path) -> Path:
    """``source``'s content in a git repository of its own (made anew), each entry committed
    on the day its ``date`` says, as on a branch that has published that way for a year: the
    demo's content was all committed the day this project was, so the portal's health page
    counted its dated entries as backdated (发布时间存疑). Files without a date (site.yaml,
    pages, attachments) come first, on the earliest entry's day."""
    from tongxin.frontmatter import ContentError, read_content_file

    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source / "content", target / "content")
    dated: list[tuple[str, Path]] = []
    for path in sorted((target / "content").rglob("*")):
        try:
            when = read_content_file(path, target).meta.get("date") if path.is_file() else None
        except (ContentError, ValueError):
            when = None
        if isinstance(when, date):  # (a datetime too)
            moment = when if isinstance(when, datetime) else datetime.combine(when, time(9))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=SITE_ZONE)
            dated.append((moment.isoformat(), path))
    dated.sort()
    git = ["git", "-C", str(target), "-c", "user.name=演示", "-c", "user.email=demo@localhost"]
    subprocess.run([*git, "init", "-q"], check=True)
    first = dated[0][0] if dated else None
    for when, paths in [(first, []), *[(w, [p]) for w, p in dated]]:
        env = {**os.environ}
        if when is not None:
            env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        add = [str(p) for p in paths] if paths else ["-A", "--", "."]
        if not paths:  # everything but the dated entries
            add += [f":!{p.relative_to(target)}" for _w, p in dated]
        subprocess.run([*git, "add", *add], check=True)
        subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "内容"], check=True, env=env)
    return target


def start_editor(out: Path, stack: contextlib.ExitStack) -> str | None:
    """The first branch's web editor: decap-server on loopback writing into a working copy
    (``out/dongjiang-editor``), the built site's ``admin/config.yml`` pointed at it."""
    import yaml

    from tongxin.editor import decap_config
    from tongxin.editor_local import LocalBackendMissing, local_backend
    from tongxin.settings import load_site

    source = out / "dongjiang-editor"
    if not source.exists():
        shutil.copytree(BRANCHES["dongjiang"] / "content", source / "content")
    port = free_port()
    try:
        stack.enter_context(local_backend(source, port, out / "decap-server.log"))
    except LocalBackendMissing as error:
        print(f"editor not started: {error}")
        return None
    config = decap_config(load_site(source), port=port)
    admin = out / "dongjiang" / "admin" / "config.yml"
    admin.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return str(source)


def forget_portal(out: Path, name: str) -> None:
    """A portal's store and caches from an earlier demo: its branches were served on other
    ports, so every entry relayed through a lower portal came from another address; kept, the
    city portal would see the county's entries all withdrawn and hold the retraction (a
    warning on every rerun)."""
    for stale in out.glob(f"{name}.sqlite*"):
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "demo-output")
    parser.add_argument("--no-serve", action="store_true", help="build everything, then exit")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    urls: dict[str, str] = {}
    servers = []
    for name in [*BRANCHES, *PORTALS]:
        port = free_port()
        urls[name] = f"http://127.0.0.1:{port}"
        site_dir = out / name
        if name in BRANCHES:
            site_dir.mkdir(exist_ok=True)
        servers.append((name, site_dir, port))

    for name, source in BRANCHES.items():
        branch = dated_repository(source, out / "sources" / name)
        run(TONGXIN, "build", str(branch), "-o", str(out / name), "--siteurl", urls[name])
    # Sites must be served before the portals fetch them.
    started = {}
    for name, site_dir, port in servers:
        if name in BRANCHES:
            started[name] = serve(site_dir, port)

    registries = out / "registries"
    registries.mkdir(exist_ok=True)
    for name in PORTALS:
        forget_portal(out, name)
    for name in PORTALS:
        registry = registries / f"{name}.yaml"
        localise_registry(ROOT / "demo" / "registries" / f"{name}.yaml", registry, urls, urls[name])
        run(
            TONGXIN,
            "federate",
            str(registry),
            "-o",
            str(out / name),
            "--db",
            str(out / f"{name}.sqlite"),
        )
        port = dict((n, p) for n, _, p in servers)[name]
        started[name] = serve(out / name, port)

    stack = contextlib.ExitStack()
    # `kill` stops the demo as Ctrl-C does: the editor's decap-server stops with it
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    editing = None if args.no_serve else start_editor(out, stack)
    print()
    print("同心 Tongxin demo — 演示站点已就绪 (Ctrl-C to stop)")
    for name in reversed(PORTALS):
        print(f"  portal  {name:<11} {urls[name]}/   health: {urls[name]}/health/")
    for name in BRANCHES:
        print(f"  branch  {name:<11} {urls[name]}/")
    if editing:
        print(f"  editor  dongjiang   {urls['dongjiang']}/admin/   (网页编辑器，保存到 {editing})")
        print(f"          预览编辑结果 preview: {TONGXIN} serve {editing}")
    sys.stdout.flush()
    if args.no_serve:
        return 0
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        for server in started.values():
            server.shutdown()
        stack.close()
    return 0


if __name__ == "__main__":
    if shutil.which("git") is None:
        sys.exit("git is required")
    sys.exit(main())
