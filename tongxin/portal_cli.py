"""The portal operator's commands: `tongxin federate` (its run and what cron sees), `tongxin
ping` and `tongxin hub` (push, federation/hub.py). Registered on the group in tongxin/cli.py.

Exit statuses of `tongxin federate` (docs/federation.md, "Exit status"): 0 published; 1 nothing
published; 2 the registry is unusable (nothing fetched, or, when the portal has run before,
fetched and published with the last registry it ran with); 3 published, but bad branch
entries were skipped; 4 published from the store, but no branch could be fetched; 75
(EX_TEMPFAIL) another run holds the lock, cron may simply try again later.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from tongxin.clierrors import LocalisedCommand
from tongxin.commandline import help_text

EXIT_NOT_PUBLISHED, EXIT_REGISTRY, EXIT_SKIPPED, EXIT_NONE_FETCHED, EXIT_LOCKED = 1, 2, 3, 4, 75


def federate_main(
    registry: Path,
    out: Path,
    db: Path | None,
    *,
    timings: Path | None,
    stale_days: int | None,
    siteurl: str | None,
    pinged: Path | None,
    parent_hub: str | None,
    adaptive: bool = False,
    quiet: bool,
) -> int:
    """`tongxin federate`: one run; returns the exit status (see the module docstring)."""
    import logging

    from tongxin.federation.lock import LockHeld
    from tongxin.federation.pipeline import Progress, default_db_path, run
    from tongxin.federation.registry import RegistryError
    from tongxin.i18n import translate

    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    language = None
    try:
        loaded, left_out = _load_for_federate(registry, siteurl, db or default_db_path(out))
        language = loaded.language
        progress = Progress("quiet" if quiet else "auto", language)
        only = _take_pinged(pinged)
        if only is not None and not only and not _unfetched(loaded, db or default_db_path(out)):
            return 0  # nothing pinged since the last run, and no branch just added
        report = run(
            registry, out, db, stale_days=stale_days, timings_path=timings,
            progress=progress, registry=loaded, only=only, adaptive=adaptive,
        )  # fmt: skip
    except RegistryError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(translate(language, "portal.cli.registry_invalid"), err=True)
        return EXIT_REGISTRY
    except LockHeld as error:
        click.echo(
            translate(
                language, "portal.cli.lock_held", path=error.path, holder=error.holder or "?"
            ),
            err=True,
        )
        return EXIT_LOCKED
    except Exception as error:  # noqa: BLE001 - say it in one line; the old portal stays up
        logging.getLogger("tongxin.federate").exception("federate")
        click.echo(translate(language, "portal.cli.nothing_published", error=error), err=True)
        return EXIT_NOT_PUBLISHED
    if parent_hub and report.published and not report.current:
        _ping_parent(parent_hub, loaded, language)
    say_now = _quiet_say(report, db or default_db_path(out), loaded) if quiet else None
    status = _federate_outcome(report, out, left_out, language, say_now)
    # ran with the last good registry: the file still needs fixing, cron must keep saying so
    return EXIT_REGISTRY if loaded.unusable and status in (0, EXIT_SKIPPED) else status


def _unfetched(registry: Any, db: Path) -> bool:
    """Whether a registered branch was never fetched (just added to the registry): a pinged
    run fetches it unpinged rather than leave its row blank until it pings."""
    from tongxin.federation.store import Store

    if not db.exists():
        return bool(registry.branches)
    store = Store.reader(db)
    try:
        known = store.branch_states()
    finally:
        store.close()
    return any(branch.id not in known for branch in registry.branches)


def _take_pinged(spool: Path | None) -> set[str] | None:
    from tongxin.federation.hub import take_pinged

    return None if spool is None else take_pinged(spool)


def _ping_parent(hub: str, registry: Any, language: str | None) -> None:
    from tongxin.federation.fetch import user_agent
    from tongxin.federation.hub import feed_url_of, ping
    from tongxin.i18n import translate

    status = ping(hub, feed_url_of(registry), user_agent=user_agent(registry.url))
    if not 200 <= status < 300:
        click.echo(translate(language, "portal.cli.ping_failed", hub=hub, status=status), err=True)


def _load_for_federate(registry: Path, siteurl: str | None, db: Path) -> tuple[Any, int]:
    """The registry, its bad branch entries named on stderr and left out; when the file
    cannot be used at all, its problems on stderr and the last registry the portal ran with."""
    import dataclasses

    from tongxin.federation.registry import load_registry_or_last_good
    from tongxin.i18n import translate

    loaded, skipped, left_out, unusable = load_registry_or_last_good(registry, db)
    for problem in unusable:
        click.echo(str(problem), err=True)
    if unusable:
        click.echo(translate(loaded.language, "portal.cli.registry_last_good"), err=True)
    if siteurl:
        loaded = dataclasses.replace(loaded, url=siteurl.rstrip("/") + "/")
        from tongxin.federation.scope import also_self

        also_self(loaded.branches, loaded.url)  # entries naming it are ours come back too
    for problem in skipped:
        click.echo(
            translate(loaded.language, "portal.cli.branch_skipped", problem=problem), err=True
        )
    return loaded, left_out


def _say_failures(report: Any, language: str | None) -> None:
    from tongxin.federation.errors import describe, own_words
    from tongxin.i18n import translate

    for branch_id, error in report.failed.items():
        text = describe(language, error)
        if own_words(str(error)):  # our own message: the class's sentence says it all
            line = translate(language, "portal.cli.branch_failed", branch=branch_id, error=text)
        else:
            line = translate(
                language, "portal.cli.branch_failed_class", branch=branch_id, text=text, error=error
            )
        click.echo(line, err=True)


def _quiet_say(report: Any, db: Path, registry: Any) -> tuple[Any, str | None]:
    """Under ``-q``: what to say of this run's lasting troubles, failed branches and held
    entries (:mod:`federation.alerts`), and for a reminder since when (in the registry's
    zone). A registry mistake is not one of them: it is said on every run until the
    operator's own file is fixed."""
    from datetime import UTC, datetime

    from tongxin.federation.alerts import decide
    from tongxin.federation.errors import error_class
    from tongxin.federation.health_table import local, portal_zone

    trouble: dict[str, Any] = {}
    if report.failed:
        trouble["failed"] = {b: error_class(str(e)) for b, e in sorted(report.failed.items())}
    if report.statuses.get("quarantined"):
        trouble["quarantined"] = report.statuses["quarantined"]
    said, since = decide(db, trouble, datetime.now(UTC))
    return said, local(since, portal_zone(registry), "%Y-%m-%d %H:%M %Z").strip() or None


def _federate_outcome(
    report: Any, out: Path, skipped: int, language: str | None, quiet: tuple[Any, str | None] | None
) -> int:
    """Print what cron must see and return the exit status. Without ``-q`` (``quiet`` None)
    the summary always. Under ``-q`` (``quiet``: :func:`_quiet_say`'s answer) a lasting
    trouble (failed branches, held entries) when it begins or changes, once a day while it
    lasts, and one line when it is over; a run that published nothing or fetched nothing,
    and a registry mistake, always; nothing when all is well (cron mails what a job prints)."""
    from tongxin.federation.alerts import Say
    from tongxin.i18n import translate

    def say(key: str, **values: object) -> None:
        click.echo(translate(language, f"portal.cli.{key}", **values), err=True)

    severe = not report.published or (report.attempted and report.fetched == 0)
    said, since = quiet or (None, None)
    if said is Say.OVER and not severe:
        say("all_recovered")
    if said is Say.REMIND:
        say("still_failing", since=since or "")
    if quiet is None:
        key = "current" if report.current else "published"
        say(key, path=out, entries=report.entries, branches=report.branches,
            failed=len(report.failed))  # fmt: skip
    # a registry mistake is said on every run, until the operator's own file is fixed
    if quiet is None or severe or skipped or said in (Say.NEW, Say.REMIND):
        if quiet is not None:  # without -q the run's log already named each failure
            _say_failures(report, language)
        # the counts add up to the registry: each branch is ok, failed, skipped (a registry
        # mistake) or not due (--adaptive, --pinged); held entries are counted apart
        say(
            "summary",
            ok=max(0, report.attempted - len(report.failed)),
            failed=len(report.failed),
            skipped=skipped,
            waiting=max(0, report.branches - report.attempted),
            branches=report.branches + skipped,
            quarantined=report.statuses.get("quarantined", 0),
        )
    if not report.published:
        return EXIT_NOT_PUBLISHED
    if report.attempted and report.fetched == 0:
        say("none_fetched")
        return EXIT_NONE_FETCHED
    if skipped:
        say("skipped_exit")
        return EXIT_SKIPPED
    return 0


@click.command("ping", cls=LocalisedCommand, help=help_text("ping"))
@click.argument("hub")
@click.option("--feed", required=True, help=help_text("opt_feed"))
def ping_command(hub: str, feed: str) -> None:
    """After a deploy: tell the portal's HUB that FEED changed (WebSub publish). Exit 1 if
    the hub did not accept it (the portal's next poll picks the change up anyway)."""
    from tongxin.federation.hub import ping
    from tongxin.i18n import translate

    status = ping(hub, feed)
    if 200 <= status < 300:
        click.echo(translate(None, "portal.cli.ping_ok", hub=hub, status=status))
        return
    click.echo(translate(None, "portal.cli.ping_failed", hub=hub, status=status), err=True)
    sys.exit(1)


@click.command("hub", cls=LocalisedCommand, help=help_text("hub"))
@click.argument("registry", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--spool",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=help_text("opt_spool"),
)
@click.option("--host", default="127.0.0.1", show_default=True, help=help_text("opt_host"))
@click.option("--port", default=8090, show_default=True, help=help_text("opt_hub_port"))
@click.option(
    "--min-interval",
    default=60.0,
    show_default=True,
    help=help_text("opt_min_interval"),
)
def hub_command(registry: Path, spool: Path, host: str, port: int, min_interval: float) -> None:
    """Receive publish pings for the registry's feeds; mark them in SPOOL; never build."""
    from tongxin.federation.hub import Hub, make_server
    from tongxin.federation.registry import RegistryError, load_registry_skipping
    from tongxin.i18n import translate

    with _registry_problems_exit(RegistryError):
        loaded, _skipped, _left_out = load_registry_skipping(registry)
    server = make_server(Hub(loaded, spool, min_interval=min_interval), host, port)
    click.echo(translate(loaded.language, "portal.cli.hub_listening", host=host, port=port))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@contextlib.contextmanager
def _registry_problems_exit(error_type: type[Exception]) -> Iterator[None]:
    """Print a registry's `path:line: message` problems and exit with EXIT_REGISTRY."""
    try:
        yield
    except error_type as error:
        for problem in getattr(error, "problems", []):
            click.echo(str(problem), err=True)
        sys.exit(EXIT_REGISTRY)
