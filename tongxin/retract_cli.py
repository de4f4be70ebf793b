"""`tongxin retractions list|confirm|dismiss`: retractions held because a branch withdrew more
than ``retract_hold_percent`` of its entries at once (federation/retractions.py). Registered
on the group in tongxin/cli.py, with its shared --db and --language options."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tongxin.clierrors import LocalisedGroup
from tongxin.commandline import help_text

Decorator = Callable[[Any], Any]


def retractions_group(db_option: Decorator, language_option: Decorator) -> click.Group:
    """The command group, its options made by tongxin/cli.py (one definition of each)."""

    @click.group("retractions", cls=LocalisedGroup, help=help_text("retractions"))
    def group() -> None:
        """Retractions held for the operator: list them, apply one, or dismiss one."""

    @group.command("list", help=help_text("retractions_list"))
    @db_option
    @language_option
    def list_command(db: Path, language: str) -> None:
        """Every branch whose withdrawn entries wait for the operator."""
        from tongxin.federation import retractions
        from tongxin.federation.store import Store
        from tongxin.i18n import translate

        with Store(db) as store:
            held = retractions.all_pending(store)
        if not held:
            click.echo(translate(language, "federation.retractions.none"))
        for branch, found in sorted(held.items()):
            click.echo(translate(language, "federation.retractions.row", branch=branch,
                                 count=len(found.keys), stored=found.stored, seen=found.seen,
                                 tombstones=found.tombstones))  # fmt: skip

    @group.command("confirm", help=help_text("retractions_confirm"))
    @click.argument("branch_id")
    @db_option
    @language_option
    def confirm_command(branch_id: str, db: Path, language: str) -> None:
        """Apply BRANCH_ID's held retraction: its entries leave the store now."""
        _settle(branch_id, db, language, "confirm")

    @group.command("dismiss", help=help_text("retractions_dismiss"))
    @click.argument("branch_id")
    @db_option
    @language_option
    def dismiss_command(branch_id: str, db: Path, language: str) -> None:
        """Drop BRANCH_ID's held retraction: its entries stay published."""
        _settle(branch_id, db, language, "dismiss")

    return group


def _settle(branch_id: str, db: Path, language: str, action: str) -> None:
    """Confirm or dismiss a branch's held retraction and say what became of its entries."""
    from tongxin.federation import retractions
    from tongxin.federation.store import Store
    from tongxin.i18n import translate

    with Store(db) as store:
        if action == "confirm":
            outcome = retractions.confirm(store, branch_id)
            count = outcome
        else:
            held = retractions.dismiss(store, branch_id)
            outcome, count = held, len(held.keys) if held is not None else 0
    if outcome is None:
        message = translate(language, "federation.retractions.not_found", branch=branch_id)
        click.echo(message, err=True)
        sys.exit(1)
    done = "confirmed" if action == "confirm" else "dismissed"
    click.echo(translate(language, f"federation.retractions.{done}", branch=branch_id, count=count))
