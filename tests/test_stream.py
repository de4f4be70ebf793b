"""``parallel.Stream``: a child fed while the caller goes on, waited for by a later fork."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from tongxin import parallel

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs fork")


def _write_all(items: Iterable[str], target: Path, delay: float = 0.0) -> None:
    got = []
    for item in items:
        time.sleep(delay)
        got.append(item)
    tmp = target.with_suffix(".tmp")
    tmp.write_text("\n".join(got), encoding="utf-8")
    tmp.replace(target)


def _fails(items: Iterable[str], target: Path) -> None:
    for _item in items:
        raise ValueError("broken")


def _read_after(stream: parallel.Stream, target: Path) -> str:
    stream.wait()
    return target.read_text(encoding="utf-8") if target.exists() else "(none)"


def test_items_reach_the_child_in_order_and_a_later_fork_waits_for_it(tmp_path: Path) -> None:
    target = tmp_path / "items.txt"
    stream = parallel.Stream(_write_all, target, 0.005, name="test stream")
    items = [f"第{i}条 " + "党" * 3000 for i in range(300)]  # ~2.7 MB: more than a pipe holds
    started = time.perf_counter()
    for item in items:
        stream.send(item)
    sending = time.perf_counter() - started
    stream.close()
    # the child sleeps 5 ms an item (1.5 s in all): the sender never waited for it
    assert sending < 0.75
    assert not target.exists(), "the child is still at work"
    # a process forked after close() waits for the child, then reads what it left
    aside = parallel.Aside(_read_after, stream, target, name="test waiter")
    assert aside.result() == "\n".join(items)
    stream.finish()


def test_a_failing_child_is_lost_quietly_and_its_waiters_go_on(tmp_path: Path) -> None:
    target = tmp_path / "items.txt"
    stream = parallel.Stream(_fails, target, name="test stream")
    for i in range(50):
        stream.send(str(i))  # the child has stopped reading: sending never raises
    stream.close()
    aside = parallel.Aside(_read_after, stream, target, name="test waiter")
    assert aside.result() == "(none)"
    stream.finish()


def test_an_item_that_does_not_pickle_ends_the_feed_not_the_caller(tmp_path: Path) -> None:
    target = tmp_path / "items.txt"
    stream = parallel.Stream(_write_all, target, name="test stream")
    stream.send("one")
    stream.send(lambda: None)  # does not pickle: the stream stops taking items
    stream.send("three")
    stream.finish()
    assert target.read_text(encoding="utf-8") == "one"


def test_abandon_stops_the_child(tmp_path: Path) -> None:
    target = tmp_path / "items.txt"
    stream = parallel.Stream(_write_all, target, 10.0, name="test stream")
    stream.send("one")
    started = time.perf_counter()
    stream.abandon()  # the child would sleep 10 s on its first item
    stream.wait()
    assert time.perf_counter() - started < 5
    assert not target.exists()


def test_without_fork_nothing_runs_and_nothing_blocks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    target = tmp_path / "items.txt"
    stream = parallel.Stream(_write_all, target, name="test stream")
    stream.send("one")
    stream.close()
    stream.wait()
    stream.finish()
    assert not target.exists()
