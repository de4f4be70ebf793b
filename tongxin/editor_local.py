"""The web editor's local backend: ``decap-server`` writing into a branch's working tree.

For the demo and for one office PC: Decap at ``/admin/`` talks to this server on 127.0.0.1
(never another interface), which writes entries and uploads straight into the branch folder
(``MODE=fs``: no commit is made; the author's next ``git commit`` goes through the hook,
``tongxin build`` publishes). The server is the npm package ``decap-server``, pinned in
package-lock.json and installed by ``./scripts/setup``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tongxin
from tongxin.i18n import translate

START_TIMEOUT_S = 20.0
#: Who commits the web editor's saves when git has no identity configured.
EDITOR_IDENTITY = ("网页编辑器", "editor@localhost")


def _git_identity(root: Path) -> bool:
    done = subprocess.run(
        ["git", "-C", str(root), "config", "user.name"], capture_output=True, text=True
    )
    return bool(done.stdout.strip())


class LocalBackendMissing(RuntimeError):
    """node or the npm package decap-server is not installed."""


def server_script(branch_root: Path | None = None) -> Path:
    """``decap-server``'s entry script, from this checkout's node_modules or the branch's."""
    candidates = []
    if os.environ.get("TONGXIN_NODE_MODULES"):
        candidates.append(Path(os.environ["TONGXIN_NODE_MODULES"]))
    candidates.append(Path(tongxin.__file__).resolve().parents[1] / "node_modules")
    if branch_root is not None:
        candidates.append(Path(branch_root) / "node_modules")
    for folder in candidates:
        script = folder / "decap-server" / "dist" / "index.js"
        if script.is_file():
            return script
    where = ", ".join(str(c) for c in candidates)
    raise LocalBackendMissing(translate(None, "editor.server_missing", where=where))


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def local_backend(
    branch_root: Path, port: int, log: Path | None = None, *, commit: bool = False
) -> Iterator[str]:
    """Run decap-server for ``branch_root`` on 127.0.0.1:``port``; yields its API URL.

    ``commit``: every save becomes a git commit on the current branch (``MODE=git``; the
    branch must be a git repository) instead of a change in the working tree."""
    node = shutil.which("node")
    if node is None:
        raise LocalBackendMissing(translate(None, "editor.server_missing", where="node"))
    script = server_script(branch_root)
    env = dict(
        os.environ,
        PORT=str(port),
        BIND_HOST="127.0.0.1",
        MODE="git" if commit else "fs",
        GIT_REPO_DIRECTORY=str(Path(branch_root).resolve()),
        LOG_LEVEL="warn",
    )
    if commit and not _git_identity(branch_root):
        # a fresh office PC has no git identity: commits are signed as the web editor
        for role in ("AUTHOR", "COMMITTER"):
            env.setdefault(f"GIT_{role}_NAME", EDITOR_IDENTITY[0])
            env.setdefault(f"GIT_{role}_EMAIL", EDITOR_IDENTITY[1])
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [node, str(script)], env=env, cwd=script.parent, stdout=output, stderr=output
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not port_open(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise LocalBackendMissing(
                    translate(None, "editor.server_failed", port=port, code=process.poll())
                )
            time.sleep(0.1)
        time.sleep(0.3)  # a server that lost the port to another process exits at once
        if process.poll() is not None:
            raise LocalBackendMissing(
                translate(None, "editor.server_failed", port=port, code=process.poll())
            )
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if log:
            output.close()  # type: ignore[union-attr]
