"""The portal keeps its search shards between runs, so a small change rebuilds little."""

from __future__ import annotations

import json
import random
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import Item, atom, federate, server, write_registry  # noqa: F401
from tongxin.federation.pipeline import search_cache_dir

WORDS = "社区党建志愿服务垃圾分类老旧小区改造防汛值班学习贯彻网络党建互联网政务乡村振兴文明实践"


def _text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(WORDS) for _ in range(length))


def _shards(out: Path) -> dict[str, int]:
    """Shard file → inode: a reused shard is the same file (hard-linked from the cache)."""
    folder = out.resolve() / "search" / "shards"
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def test_one_changed_branch_links_every_base_shard_and_writes_a_delta(
    server: FeedServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    rng = random.Random(7)
    branches = []
    # 235 entries, then 236: the new entry goes to the delta, the base stays as it was.
    for number in range(5):
        items = [
            Item(f"e{i}", _text(rng, 12), 1 + i, body=f"<p>{_text(rng, 300)}</p>")
            for i in range(47)
        ]
        path = f"/b{number}/feeds/all.atom.xml"
        server.route(path, body=atom(server.url(f"/b{number}/"), f"支部{number}", items))
        branches.append({"id": f"b{number}", "name": f"支部{number}", "feed": server.url(path)})
    registry = write_registry(tmp_path / "r.yaml", "门户", "https://p.example/", branches)
    out = tmp_path / "portal"
    db = out.parent / f"{out.name}.sqlite3"  # where test_pipeline.federate keeps it

    federate(registry, out)
    assert any(search_cache_dir(db).iterdir()), "the first run fills the search cache"
    before = _shards(out)
    assert len(before) > 1, "the corpus is large enough to need several shards"

    server.route(
        "/b0/feeds/all.atom.xml",
        body=atom(server.url("/b0/"), "支部0", [Item("new", "独一无二的新标题", 0.5)]),
    )
    federate(registry, out)
    after = _shards(out)
    manifest = json.loads((out.resolve() / "search" / "manifest.json").read_text("utf-8"))
    assert manifest, "the new version has a search manifest"
    reused = [name for name, inode in after.items() if before.get(name) == inode]
    assert len(reused) == len(after), "every base shard is hard-linked, none rebuilt"
    delta = manifest["delta"]
    assert len(delta["refs"]) == 1, "the new entry is in the delta"
    assert delta["dead"] == [], "no base entry changed"
    assert (out.resolve() / "search" / "delta" / "shards").is_dir()


def test_indexed_text_read_from_the_head_of_a_long_body_equals_the_whole_read() -> None:
    from tongxin.federation.index import TEXT_LIMIT, plain_text_head
    from tongxin.federation.portal_feeds import plain_text

    rng = random.Random(3)
    pieces = [
        "<p>",
        "</p>",
        "<a href='https://x.example/?a=1&amp;b=2'>",
        "</a>",
        "&amp;",
        "&lt;",
        "&#x4e2d;",
        "&CounterClockwiseContourIntegral;",
        " ",
        "\n",
        "<br>",
        "<img src='y'>",
    ]
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(0, 400)):
            parts.append(
                rng.choice(pieces) if rng.random() < 0.3 else _text(rng, rng.randint(1, 9))
            )
        html = "".join(parts)
        for limit in (TEXT_LIMIT, 160, 20):
            assert plain_text_head(html, limit) == plain_text(html, limit), html
    # a body that is one huge tag at first: read whole, never cut inside the tag
    html = "<img src='data:" + "A" * 5000 + "'>" + "正文" * 10
    assert plain_text_head(html, 20) == plain_text(html, 20)
