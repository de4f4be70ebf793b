"""Decisions hold for the content they were made on (over real HTTP on loopback).

After a release, a later hacked edit of that entry is screened again and held; after a
reject, the branch's restored clean version shows; an unchanged re-send keeps the decision.
"""

from __future__ import annotations

from test_quarantine import Portal, portal  # noqa: F401 - the fixture

SPAM = "澳门百家乐 真人娱乐 开户送彩金"


def test_a_release_does_not_cover_a_later_hacked_edit(portal: Portal) -> None:  # noqa: F811
    portal.serve([("post", "社区组织义诊活动")])
    portal.run()
    assert portal.id("post") in portal.published()
    # A false positive the operator releases: its words look like spam.
    portal.serve([("post", "警惕：" + SPAM)])
    portal.run()
    done = portal.cli("release", portal.id("post"))
    assert done.returncode == 0, done.stderr
    portal.run()
    assert portal.id("post") in portal.published()
    # Now the branch is hacked and the entry edited into worse spam: screened again, held;
    # the released version stays published (federation/heldchanges.py), never the new spam.
    portal.serve([("post", SPAM + " 六合彩 时时彩 老虎机")])
    portal.run()
    assert portal.id("post") in portal.published()
    api = (portal.out / "api" / "index.json").read_text(encoding="utf-8")
    assert "老虎机" not in api
    assert portal.health()["status"] == "quarantined"


def test_a_reject_does_not_hide_the_restored_clean_version(portal: Portal) -> None:  # noqa: F811
    portal.serve([("post", SPAM), ("other", "社区新闻")])
    portal.run()
    done = portal.cli("reject", portal.id("post"))
    assert done.returncode == 0, done.stderr
    portal.run()  # the same spam again: still rejected
    assert portal.id("post") not in portal.published()
    portal.serve([("post", "社区组织义诊活动（已恢复）"), ("other", "社区新闻")])
    portal.run()
    assert portal.id("post") in portal.published()
    # quarantine.yaml still says reject, but for the old content: it is not applied again.
    portal.run()
    assert portal.id("post") in portal.published()
