"""`tongxin federate` under cron: never silent, exit statuses an operator can alert on.

Real HTTP on 127.0.0.1 (tests/feedserver.py), the real command (click's runner, in process).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from feedserver import FeedServer
from test_pipeline import Item, atom, write_registry

from tongxin.cli import main


@pytest.fixture
def server():
    with FeedServer() as feeds:
        for name in ("a", "b", "c"):
            feeds.route(
                f"/{name}/feed.xml",
                body=atom(feeds.url(f"/{name}/"), f"支部{name}", [Item(f"{name}1", f"{name}标题")]),
            )
        feeds.route("/down/feed.xml", status=500, body=b"oops")
        feeds.route("/page/feed.xml", body=b"<html><body><p>maintenance</p></body></html>")
        yield feeds


def _branch(server: FeedServer, name: str, path: str | None = None) -> dict:
    return {"id": name, "name": f"支部{name}", "feed": server.url(path or f"/{name}/feed.xml")}


def _federate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["federate", *args], catch_exceptions=False)
    return result.exit_code, result.stderr


def test_quiet_run_names_each_failure_and_sums_up(server: FeedServer, tmp_path: Path) -> None:
    registry = write_registry(
        tmp_path / "registry.yaml",
        "门户",
        "https://portal.example/",
        [_branch(server, "a"), _branch(server, "down", "/down/feed.xml")],
    )
    code, err = _federate(str(registry), "-o", str(tmp_path / "www"), "-q")
    assert code == 0, err
    lines = err.strip().splitlines()
    failure = [line for line in lines if "down" in line]
    assert len(failure) == 1 and "服务器出错" in failure[0], err
    summary = "汇聚结果：正常 1，失败 1，跳过 0，本次未到抓取时间 0"
    assert lines[-1] == summary + "（共 2 个支部；有内容被隔离待审的 0 个）", err


def test_the_summary_adds_up_when_a_branch_answers_with_no_feed(
    server: FeedServer, tmp_path: Path
) -> None:
    # a trial: 正常 27，失败 1 of 27 branches: a branch that answered with a web page was
    # counted ok (it answered) and failed (it had no feed)
    branches = [_branch(server, "a"), _branch(server, "page", "/page/feed.xml")]
    registry = write_registry(tmp_path / "r.yaml", "门户", "https://p.example/", branches)
    code, err = _federate(str(registry), "-o", str(tmp_path / "www"))
    assert "汇聚结果：正常 1，失败 1，跳过 0" in err.strip().splitlines()[-1], err


def test_quiet_run_with_nothing_wrong_prints_nothing(server: FeedServer, tmp_path: Path) -> None:
    """cron mails whatever a job prints: an operator's trial got a mail every 15 minutes
    saying all was well. Quiet then; the same registry with a dead branch is not."""
    branches = [_branch(server, "a"), _branch(server, "b")]
    registry = write_registry(tmp_path / "registry.yaml", "门户", "https://p.example/", branches)
    for _ in range(2):  # the first run and one with nothing new
        assert _federate(str(registry), "-o", str(tmp_path / "www"), "-q") == (0, "")
    code, err = _federate(str(registry), "-o", str(tmp_path / "www"))
    assert code == 0 and "汇聚结果：正常 2，失败 0" in err  # without -q: always summed up
    branches.append(_branch(server, "down", "/down/feed.xml"))
    write_registry(tmp_path / "registry.yaml", "门户", "https://p.example/", branches)
    code, err = _federate(str(registry), "-o", str(tmp_path / "www"), "-q")
    assert code == 0 and "汇聚结果：正常 2，失败 1" in err.strip().splitlines()[-1], err


def test_no_branch_fetched_exits_4_even_quiet(tmp_path: Path) -> None:
    with FeedServer() as dead:
        dead.route("/x.xml", status=503, body=b"")
        dead.route("/y.xml", reset=True)
        registry = write_registry(
            tmp_path / "registry.yaml",
            "门户",
            "https://portal.example/",
            [_branch(dead, "x", "/x.xml"), _branch(dead, "y", "/y.xml")],
        )
        code, err = _federate(str(registry), "-o", str(tmp_path / "www"), "-q")
    assert code == 4, err
    assert "支部 x 失败" in err and "支部 y 失败" in err
    assert "失败 2" in err and "退出状态 4" in err


def test_bad_branch_entry_is_skipped_and_the_rest_publishes(
    server: FeedServer, tmp_path: Path
) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        "name: 门户\nurl: https://portal.example/\nbranches:\n"
        f"  - id: a\n    name: 支部a\n    feed: {server.url('/a/feed.xml')}\n"
        f"  - id: b\n    nmae: 支部b\n    feed: {server.url('/b/feed.xml')}\n"
        f"  - id: c\n    name: 支部c\n    feed: {server.url('/c/feed.xml')}\n"
        "allow_networks: [127.0.0.1]\n",
        encoding="utf-8",
    )
    out = tmp_path / "www"
    code, err = _federate(str(registry), "-o", str(out), "-q")
    assert code == 3, err
    assert f"{registry}:8: " in err and "nmae" in err, err
    assert "跳过 1，本次未到抓取时间 0（共 3 个支部" in err
    assert server.requests("/b/feed.xml") == []
    assert (out / "branches/a/index.html").is_file() and (out / "branches/c/index.html").is_file()
    assert not (out / "branches/b").exists()
    code, again = _federate(str(registry), "-o", str(out), "-q")  # said again: the file is ours
    assert code == 3 and "nmae" in again, again
    assert "跳过 1，本次未到抓取时间 0（共 3 个支部" in again, again


def test_a_skipped_branch_stays_on_the_health_page_with_its_mistake(
    server: FeedServer, tmp_path: Path
) -> None:
    """Inspectors read the health page: a branch the registry's typo left out of the run
    used to vanish from it while its stored entries stayed published."""
    import json

    registry = tmp_path / "registry.yaml"
    good = (
        "name: 门户\nurl: https://portal.example/\nallow_networks: [127.0.0.1]\nbranches:\n"
        f"  - id: a\n    name: 支部a\n    feed: {server.url('/a/feed.xml')}\n"
        f"  - id: b\n    name: 支部b\n    feed: {server.url('/b/feed.xml')}\n"
    )
    registry.write_text(good, encoding="utf-8")
    out = tmp_path / "www"
    assert _federate(str(registry), "-o", str(out), "-q")[0] == 0
    registry.write_text(good.replace("    name: 支部b", "    nmae: 支部b"), encoding="utf-8")
    code, err = _federate(str(registry), "-o", str(out), "-q")
    assert code == 3, err
    rows = {b["id"]: b for b in json.loads((out / "health.json").read_text("utf-8"))["branches"]}
    assert set(rows) == {"a", "b"}
    assert rows["b"]["status"] == "error" and rows["b"]["entries"] == 1
    assert "登记表里这一项有误" in rows["b"]["error"] and "registry.yaml:9: " in rows["b"]["error"]
    assert str(tmp_path) not in rows["b"]["error"]  # no server path on a public page
    page = (out / "health/index.html").read_text("utf-8")
    assert "登记表里这一项有误" in page and 'id="branch-b"' in page


def test_portal_wide_error_still_stops_before_fetching(server: FeedServer, tmp_path: Path) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        "name: 门户\nurl: nope\nbranches:\n"
        f"  - id: a\n    name: A\n    feed: {server.url('/a/feed.xml')}\n",
        encoding="utf-8",
    )
    code, err = _federate(str(registry), "-o", str(tmp_path / "www"), "-q")
    assert code == 2 and f"{registry}:2: " in err, err
    assert server.requests() == []


def test_siteurl_overrides_the_registry_url(server: FeedServer, tmp_path: Path) -> None:
    registry = write_registry(
        tmp_path / "registry.yaml", "门户", "https://portal.example/", [_branch(server, "a")]
    )
    out = tmp_path / "www"
    code, err = _federate(str(registry), "-o", str(out), "-q", "--siteurl", "http://10.0.0.5:8080")
    assert code == 0, err
    feed = (out / "feeds/all.atom.xml").read_text(encoding="utf-8")
    assert "http://10.0.0.5:8080/" in feed and "portal.example" not in feed


def test_quarantine_list_finds_the_store_as_federate_does(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = write_registry(
        tmp_path / "registry.yaml", "门户", "https://portal.example/", [_branch(server, "a")]
    )
    monkeypatch.chdir(tmp_path)
    assert _federate(str(registry), "-o", "www", "-q")[0] == 0
    result = CliRunner().invoke(main, ["quarantine", "list"])
    assert result.exit_code == 0, result.output
    elsewhere = CliRunner().invoke(main, ["quarantine", "list", "-o", "nowhere"])
    assert elsewhere.exit_code == 2 and "找不到门户数据库" in elsewhere.output
    assert "nowhere.sqlite3" in elsewhere.output


def test_inspection_thresholds_are_checked_with_path_and_line(
    server: FeedServer, tmp_path: Path
) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        "name: 门户\nurl: https://portal.example/\ninspection:\n  hom_days: 14\n"
        "  kinds:\n    news: -1\nbranches:\n"
        f"  - id: a\n    name: A\n    feed: {server.url('/a/feed.xml')}\n",
        encoding="utf-8",
    )
    code, err = _federate(str(registry), "-o", str(tmp_path / "www"), "-q")
    assert code == 2, err
    assert f"{registry}:4: " in err and "home_days" in err, err
    assert f"{registry}:6: " in err, err
    assert server.requests() == []


def test_adaptive_run_leaves_a_branch_alone_until_its_next_check(
    server: FeedServer, tmp_path: Path
) -> None:
    registry = write_registry(
        tmp_path / "registry.yaml", "门户", "https://portal.example/", [_branch(server, "a")]
    )
    out = str(tmp_path / "www")
    assert _federate(str(registry), "-o", out, "-q", "--adaptive")[0] == 0
    first = len(server.requests("/a/feed.xml"))
    assert first == 1
    # A minute later the branch is not due (15 minutes at the least): no request at all.
    assert _federate(str(registry), "-o", out, "-q", "--adaptive")[0] in (0, 4)
    assert len(server.requests("/a/feed.xml")) == first
    # Without --adaptive every branch is asked again.
    assert _federate(str(registry), "-o", out, "-q")[0] == 0
    assert len(server.requests("/a/feed.xml")) == first + 1


def test_quiet_run_in_a_real_process_names_a_connection_failure_once(
    server: FeedServer, tmp_path: Path
) -> None:
    """As cron runs it (a process of its own, logging set up by the command): the operator's
    detail of a refused connection is no second line in the mail, and nothing is in English
    on a Chinese portal."""
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:  # a port that is certainly closed
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    registry = write_registry(
        tmp_path / "registry.yaml", "门户", "https://portal.example/",
        [_branch(server, "a"),
         {"id": "s1", "name": "支部s1", "feed": f"http://127.0.0.1:{closed}/feed.xml"}],
    )  # fmt: skip
    done = subprocess.run(
        [str(Path(sys.executable).with_name("tongxin")), "federate", str(registry), "-o",
         str(tmp_path / "www"), "-q"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    lines = done.stderr.strip().splitlines()
    assert [line for line in lines if "s1" in line and "WARNING" not in line], done.stderr
    assert len([line for line in lines if "s1" in line]) == 1, done.stderr
    assert not [line for line in lines if "WARNING" in line], done.stderr
    assert lines[-1].startswith("汇聚结果：正常 1，失败 1"), done.stderr


def test_a_registry_typo_runs_with_the_last_good_registry_and_says_so(
    server: FeedServer, tmp_path: Path
) -> None:
    """One typo in the registry (a full-width colon) used to stop every branch's updates
    until someone read cron's mail; now the run goes on with the registry of the last run,
    exits 2 and names the line, and the health page says the list may be out of date."""
    registry = write_registry(
        tmp_path / "registry.yaml", "门户", "https://portal.example/", [_branch(server, "a")]
    )
    out = tmp_path / "www"
    assert _federate(str(registry), "-o", str(out), "-q")[0] == 0
    good = registry.read_text("utf-8")
    registry.write_text(good.replace("name: 门户", "name：门户"), "utf-8")
    server.route(
        "/a/feed.xml",
        body=atom(server.url("/a/"), "支部a", [Item("a1", "a标题"), Item("a2", "新通知", 0.5)]),
    )
    code, err = _federate(str(registry), "-o", str(out), "-q")
    assert code == 2, err
    assert f"{registry}:1: " in err and "本次按上次能用的登记表" in err, err
    assert "新通知" in (out / "news" / "index.html").read_text("utf-8")  # fetched all the same
    health = json.loads((out / "health.json").read_text("utf-8"))
    (problem,) = health["registry_problems"]
    assert problem.startswith("registry.yaml:1: ") and str(tmp_path) not in problem
    assert "上次能用的登记表" in (out / "health" / "index.html").read_text("utf-8")

    registry.write_text(good, "utf-8")  # fixed: the next run is a plain one again
    code, err = _federate(str(registry), "-o", str(out), "-q")
    assert code == 0, err
    assert "registry_problems" not in json.loads((out / "health.json").read_text("utf-8"))
    assert "上次能用的登记表" not in (out / "health" / "index.html").read_text("utf-8")


def test_a_registry_typo_before_any_good_run_still_stops(
    server: FeedServer, tmp_path: Path
) -> None:
    registry = write_registry(
        tmp_path / "registry.yaml", "门户", "https://portal.example/", [_branch(server, "a")]
    )
    registry.write_text(registry.read_text("utf-8").replace("name: 门户", "name：门户"), "utf-8")
    code, err = _federate(str(registry), "-o", str(tmp_path / "www"), "-q")
    assert code == 2 and "未抓取任何内容" in err, err
    assert server.requests() == []


def test_a_blocked_private_address_gives_its_advice_once(tmp_path: Path) -> None:
    """The cron line said "list it in allow_networks" twice: the class's advice, then the
    error's own words in brackets."""
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        "name: 门户\nurl: https://portal.example/\nbranches:\n"
        "  - id: a\n    name: 内网支部\n    feed: http://10.1.2.3/feed.xml\n",
        encoding="utf-8",
    )
    code, err = _federate(str(registry), "-o", str(tmp_path / "www"), "-q")
    assert code == 4, err
    (line,) = [x for x in err.splitlines() if x.startswith("支部 a 失败")]
    assert line.count("allow_networks") == 1, line


def test_a_second_branches_list_is_a_broken_registry_not_a_smaller_one(
    server: FeedServer, tmp_path: Path
) -> None:
    """A second ``branches:`` pasted under the first: YAML keeps the last list, so the
    first list's branches vanished from the portal with exit 0, and that file became the
    registry the portal falls back on."""
    registry = write_registry(
        tmp_path / "registry.yaml",
        "门户",
        "https://portal.example/",
        [_branch(server, "a"), _branch(server, "b")],
    )
    out = tmp_path / "www"
    assert _federate(str(registry), "-o", str(out), "-q")[0] == 0
    text = registry.read_text("utf-8")  # pasted right under the first list
    second = f"branches:\n- id: c\n  name: 支部c\n  feed: {server.url('/c/feed.xml')}\n"
    registry.write_text(text.replace("allow_networks:", second + "allow_networks:"), "utf-8")
    code, err = _federate(str(registry), "-o", str(out), "-q")
    assert code == 2 and "branches" in err and "本次按上次能用的登记表" in err, err
    health = json.loads((out / "health.json").read_text("utf-8"))
    assert sorted(row["id"] for row in health["branches"]) == ["a", "b"]


def test_the_last_good_registry_is_one_without_a_mistake(
    server: FeedServer, tmp_path: Path
) -> None:
    """A file with a skipped entry was kept as the fallback: a later broken file ran with it
    and reported its old mistake at lines of the new file."""
    good = [_branch(server, "a"), _branch(server, "b")]
    registry = write_registry(tmp_path / "registry.yaml", "门户", "https://portal.example/", good)
    out = tmp_path / "www"
    assert _federate(str(registry), "-o", str(out), "-q")[0] == 0
    bad_b = [_branch(server, "a"), {**_branch(server, "b"), "feed": "127.0.0.1/b.xml"}]
    write_registry(registry, "门户", "https://portal.example/", bad_b)
    assert _federate(str(registry), "-o", str(out), "-q")[0] == 3
    registry.write_text(registry.read_text("utf-8").replace("name: 门户", "name：门户"), "utf-8")
    code, err = _federate(str(registry), "-o", str(out), "-q")
    assert code == 2 and "已跳过该支部" not in err and "退出状态 3" not in err, err
    health = json.loads((out / "health.json").read_text("utf-8"))
    assert {row["id"]: row["status"] for row in health["branches"]} == {"a": "ok", "b": "ok"}
    # a copy that cannot be read (edited, saved as GBK) is no fallback, and no crash
    copy = out.parent / "www.sqlite3.registry.yaml"
    copy.write_bytes("name: 门户\n".encode("gbk"))
    code, err = _federate(str(registry), "-o", str(out), "-q")
    assert code == 2 and "未抓取任何内容" in err and "Traceback" not in err, err
    write_registry(registry, "门户", "https://portal.example/", good)
    assert _federate(str(registry), "-o", str(out), "-q")[0] == 0


def test_a_lasting_failure_is_mailed_when_it_begins_changes_and_ends(
    server: FeedServer, tmp_path: Path
) -> None:
    """An operator's trial: a branch down for a week mailed the same lines every 15 minutes
    (672 mails). Now: when it begins, when the trouble changes, once when it is over."""
    out = str(tmp_path / "www")
    branches = [_branch(server, "a"), _branch(server, "down", "/down/feed.xml")]
    registry = write_registry(tmp_path / "registry.yaml", "门户", "https://p.example/", branches)
    code, err = _federate(str(registry), "-o", out, "-q")
    assert code == 0 and "支部 down 失败" in err and "失败 1" in err
    assert _federate(str(registry), "-o", out, "-q") == (0, "")  # the same: not again
    assert _federate(str(registry), "-o", out, "-q") == (0, "")
    server.route("/b/feed.xml", status=404, body=b"")  # another branch fails: said, both
    branches.append(_branch(server, "b"))
    write_registry(tmp_path / "registry.yaml", "门户", "https://p.example/", branches)
    code, err = _federate(str(registry), "-o", out, "-q")
    assert "支部 down 失败" in err and "支部 b 失败" in err and "失败 2" in err, err
    server.route("/down/feed.xml", body=atom(server.url("/down/"), "支部down", [Item("d1", "d")]))
    code, err = _federate(str(registry), "-o", out, "-q")  # down is back: the trouble changed
    assert "支部 b 失败" in err and "down" not in err and "失败 1" in err, err
    server.route("/b/feed.xml", body=atom(server.url("/b/"), "支部b", [Item("b1", "b")]))
    assert _federate(str(registry), "-o", out, "-q") == (0, "此前报告的问题都已恢复正常。\n")
    assert _federate(str(registry), "-o", out, "-q") == (0, "")


def test_the_same_trouble_is_said_again_a_day_later(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from tongxin.federation.alerts import Say, decide

    db, trouble = tmp_path / "p.sqlite3", {"failed": {"down": "server"}}
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert decide(db, trouble, start) == (Say.NEW, None)
    for minutes in (15, 60 * 12, 60 * 24 - 1):
        assert decide(db, trouble, start + timedelta(minutes=minutes)) == (Say.NOTHING, None)
    day = start + timedelta(hours=24)
    assert decide(db, trouble, day) == (Say.REMIND, start.isoformat())
    assert decide(db, trouble, day + timedelta(hours=1)) == (Say.NOTHING, None)
    assert decide(db, trouble, day + timedelta(hours=24)) == (Say.REMIND, start.isoformat())
    assert decide(db, {}, day + timedelta(hours=25)) == (Say.OVER, None)
    assert decide(db, {}, day + timedelta(hours=26)) == (Say.NOTHING, None)


def test_a_reminder_says_since_when_in_the_portals_zone(server: FeedServer, tmp_path: Path) -> None:
    from tongxin.federation.alerts import KEY
    from tongxin.federation.store import Store

    out = str(tmp_path / "www")
    branches = [_branch(server, "a"), _branch(server, "down", "/down/feed.xml")]
    registry = write_registry(tmp_path / "registry.yaml", "门户", "https://p.example/", branches)
    assert "支部 down 失败" in _federate(str(registry), "-o", out, "-q")[1]
    with Store(tmp_path / "www.sqlite3") as store:  # as if said two days ago
        said = json.loads(store.get_meta(KEY) or "{}")
        said.update(said="2026-12-01T00:00:00+00:00", since="2026-12-01T00:00:00+00:00")
        store.set_meta(KEY, json.dumps(said))
    code, err = _federate(str(registry), "-o", out, "-q")
    lines = err.strip().splitlines()
    assert (
        lines[0] == "以下问题自 2026-12-01 08:00 CST 起仍未解决（同样的问题每 24 小时提醒一次）："
    ), err
    assert "支部 down 失败" in lines[1] and "失败 1" in lines[-1]
    assert _federate(str(registry), "-o", out, "-q") == (0, "")  # and not again for a day
