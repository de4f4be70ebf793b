"""The screen: injected spam is held back, clean branch content is not (federation/screen.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tongxin.federation.model import Branch, Entry, Registry
from tongxin.federation.sanitise import sanitise_entry
from tongxin.federation.screen import (
    History,
    ScreenRules,
    ScreenRulesError,
    read_html,
    rules_for_registry,
    screen_entries,
    screen_entry,
    site_domain,
)

HOSTILE = Path(__file__).parent / "hostile"
SPAM = yaml.safe_load((HOSTILE / "spam.yaml").read_text(encoding="utf-8"))
CLEAN = yaml.safe_load((HOSTILE / "clean.yaml").read_text(encoding="utf-8"))
BRANCH = Branch("nanhu", "南湖社区党支部", "http://nanhu.example/feeds/all.atom.xml")
#: What the English reason says for each expected rule.
EXPECT = {
    "gambling": "gambling spam",
    "pornography": "pornography spam",
    "video": "video keyword stuffing",
    "keyword_run": "a run of",
    "hidden": "cannot see",
}


@pytest.fixture(scope="module")
def rules() -> ScreenRules:
    return ScreenRules.load(language="en")


def entry_of(item: dict, n: int = 0) -> Entry:
    return Entry(
        entry_id=f"http://nanhu.example/news/{item['name']}-{n}/",
        branch_id="nanhu",
        url=f"http://nanhu.example/news/{item['name']}-{n}/",
        title=item["title"],
        content_html=item.get("content", ""),
        author=item.get("author", ""),
    )


class FakeStore:
    """Just the read the screen makes: a branch's stored entries."""

    def __init__(self, entries: list[Entry]) -> None:
        self.stored = entries

    def entries(self, *, branch_id: str | None = None, include_quarantined: bool = False):
        return [
            e
            for e in self.stored
            if (branch_id is None or e.branch_id == branch_id)
            and (include_quarantined or not e.quarantine_reason)
        ]


def history_of(count: int, domains: tuple[str, ...] = ()) -> FakeStore:
    entries = []
    for n in range(count):
        links = "".join(f'<a href="https://{d}/p{n}">x</a>' for d in domains)
        url = f"http://nanhu.example/news/old-{n}/"
        entries.append(Entry(url, "nanhu", url, f"旧闻 {n}", content_html=f"<p>{links}</p>"))
    return FakeStore(entries)


@pytest.mark.parametrize("item", SPAM, ids=[i["name"] for i in SPAM])
def test_injected_spam_is_held_with_a_reason_naming_the_rule(item: dict, rules: ScreenRules):
    raw = entry_of(item)
    clean = sanitise_entry(raw, raw.url)
    [screened] = screen_entries([clean], BRANCH, None, rules, raw=[raw])
    assert screened.quarantine_reason, item["name"]
    assert EXPECT[item["expect"]] in screened.quarantine_reason


@pytest.mark.parametrize("item", CLEAN, ids=[i["name"] for i in CLEAN])
def test_clean_near_misses_are_not_held(item: dict, rules: ScreenRules):
    raw = entry_of(item)
    clean = sanitise_entry(raw, raw.url)
    # The strictest case: a branch with history, so the new-domain rule runs too.
    [screened] = screen_entries([clean], BRANCH, history_of(20), rules, raw=[raw])
    assert screened.quarantine_reason is None


def test_hidden_text_is_only_visible_in_the_raw_html(rules: ScreenRules):
    item = next(i for i in SPAM if i["name"] == "hidden-div-links")
    raw = entry_of(item)
    clean = sanitise_entry(raw, raw.url)
    # The sanitiser strips the style, so without the raw entry the trick is invisible ...
    assert screen_entry(clean, None, History(), rules) is None
    # ... and with it, the hidden links are named.
    reason = screen_entry(clean, raw, History(), rules)
    assert reason and "hidden link" in reason and "spam.example" in reason


def test_overlapping_terms_count_once(rules: ScreenRules):
    # 网上赌博 (medium) contains 赌博 (weak): one occurrence must not add up to the threshold.
    entry = Entry("id", "nanhu", "http://nanhu.example/a/", "关于网上赌博的新闻")
    assert screen_entry(entry, None, History(), rules) is None


def test_campaign_context_disarms_terms_but_not_spam(rules: ScreenRules):
    campaign = Entry("a", "nanhu", "http://nanhu.example/a/", "严厉打击六合彩违法犯罪")
    spam = Entry("b", "nanhu", "http://nanhu.example/b/", "六合彩开奖直播")
    assert screen_entry(campaign, None, History(), rules) is None
    assert screen_entry(spam, None, History(), rules) is not None


def test_new_domains_are_flagged_only_with_history(rules: ScreenRules):
    links = "".join(f'<a href="http://spam{n}.example/">x</a>' for n in range(4))
    entry = Entry("new", "nanhu", "http://nanhu.example/new/", "通知", content_html=links)
    # A branch with no history: nothing to compare with, not flagged.
    [fresh] = screen_entries([entry], BRANCH, history_of(3), rules)
    assert fresh.quarantine_reason is None
    [held] = screen_entries([entry], BRANCH, history_of(20), rules)
    assert held.quarantine_reason and "never linked to before" in held.quarantine_reason
    assert "spam0.example" in held.quarantine_reason


def test_domains_the_branch_linked_before_are_not_new(rules: ScreenRules):
    known = ("a.example", "b.example", "c.example", "d.example")
    links = "".join(f'<a href="https://www.{d}/new">x</a>' for d in known)
    entry = Entry("new", "nanhu", "http://nanhu.example/new/", "通知", content_html=links)
    [screened] = screen_entries([entry], BRANCH, history_of(20, known), rules)
    assert screened.quarantine_reason is None


def test_many_links_to_one_new_domain_are_flagged(rules: ScreenRules):
    links = "".join(f'<a href="http://casino.example/{n}">x</a>' for n in range(6))
    entry = Entry("new", "nanhu", "http://nanhu.example/new/", "通知", content_html=links)
    [screened] = screen_entries([entry], BRANCH, history_of(20), rules)
    assert screened.quarantine_reason and "casino.example" in screened.quarantine_reason


def test_unchanged_stored_entry_keeps_the_stores_verdict(rules: ScreenRules):
    spam = entry_of(SPAM[0])
    held = sanitise_entry(spam, spam.url)
    held.quarantine_reason = "earlier reason"
    clean_stored = Entry("ok", "nanhu", "http://nanhu.example/ok/", "正常新闻")
    store = FakeStore([held, clean_stored])
    again = sanitise_entry(spam, spam.url)
    same = Entry("ok", "nanhu", "http://nanhu.example/ok/", "正常新闻")
    screen_entries([again, same], BRANCH, store, rules, raw=[spam])
    assert again.quarantine_reason == "earlier reason"  # not re-screened, verdict kept
    assert same.quarantine_reason is None


def test_a_hacked_edit_of_a_stored_entry_is_screened_again(rules: ScreenRules):
    stored = Entry(
        "ok", "nanhu", "http://nanhu.example/ok/", "正常新闻", content_html="<p>正文</p>"
    )
    edited = Entry("ok", "nanhu", "http://nanhu.example/ok/", "正常新闻",
                   content_html="<p>正文</p><p>百家乐 真人娱乐</p>")  # fmt: skip
    screen_entries([edited], BRANCH, FakeStore([stored]), rules)
    assert edited.quarantine_reason and "gambling" in edited.quarantine_reason


def test_reasons_are_in_the_portals_language():
    entry = Entry("x", "nanhu", "http://nanhu.example/x/", "澳门百家乐")
    assert "博彩" in screen_entry(entry, None, History(), ScreenRules.load(language="zh-CN"))
    assert "博彩" in screen_entry(entry, None, History(), ScreenRules.load(language="zh-TW"))
    assert "gambling" in screen_entry(entry, None, History(), ScreenRules.load(language="en"))


def test_portal_override_adds_terms_disables_rules_and_trusts_domains(tmp_path: Path):
    registry_file = tmp_path / "registry.yaml"
    registry_file.write_text(
        yaml.safe_dump(
            {
                "name": "P",
                "url": "https://portal.example/",
                "branches": [],
                "screen": {
                    "terms": {"gambling": {"strong": ["幸运飞艇"]}},
                    "allow": ["百家乐"],
                    "disable": ["keyword_run"],
                    "trusted_domains": ["partner.example"],
                },
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    registry = Registry("P", "https://portal.example/", (), path=registry_file, language="en")
    rules = rules_for_registry(registry)
    assert "keyword_run" not in rules.rules
    assert screen_entry(Entry("a", "b", "http://x/", "幸运飞艇"), None, History(), rules)
    assert screen_entry(Entry("a", "b", "http://x/", "百家乐"), None, History(), rules) is None
    assert "partner.example" in rules.trusted_domains
    assert "gov.cn" in rules.trusted_domains  # lists extend the defaults


@pytest.mark.parametrize(
    "override",
    [{"thresold": 3}, {"disable": ["no_such_rule"]}, {"terms": {"gambling": {"huge": ["x"]}}},
     {"trusted_domains": "gov.cn"}],
    ids=["unknown-key", "unknown-rule", "unknown-level", "not-a-list"],
)  # fmt: skip
def test_bad_overrides_are_refused_with_a_message(override: dict):
    with pytest.raises(ScreenRulesError) as error:
        ScreenRules.load(override, language="en")
    assert str(error.value)


def test_site_domain_groups_subdomains():
    assert site_domain("https://news.example.com.cn/a") == "example.com.cn"
    assert site_domain("http://www.nanhu.example/") == "nanhu.example"
    assert site_domain("http://127.0.0.1:8000/x") == "127.0.0.1"


def test_block_elements_end_text_runs(rules: ScreenRules):
    facts = read_html("<p>甲</p><p>乙</p>丙<b>丁</b>", rules)
    assert "甲" in facts.text and "甲乙" not in facts.text
    assert "丙丁" in facts.text


def test_hostile_nesting_does_not_blow_the_stack(rules: ScreenRules):
    markup = "<div>" * 5000 + "文字" + "</div>" * 5000
    read_html(markup, rules)  # must not raise RecursionError


RULE_OF = {
    "gambling": "terms:gambling",
    "pornography": "terms:pornography",
    "video": "terms:stuffing",
    "keyword_run": "keyword_run",
    "hidden": "hidden_",
}


@pytest.mark.parametrize("item", SPAM, ids=[i["name"] for i in SPAM])
def test_held_entry_carries_its_rule_apart_from_the_evidence(item: dict, rules: ScreenRules):
    from tongxin.federation.screen import rule_label, screen_findings

    raw = entry_of(item)
    clean = sanitise_entry(raw, raw.url)
    [screened] = screen_entries([clean], BRANCH, None, rules, raw=[raw])
    assert screened.quarantine_rule and RULE_OF[item["expect"]] in screened.quarantine_rule
    findings = screen_findings(clean, raw, History(), rules)
    assert [f.rule for f in findings] == screened.quarantine_rule.split(",")
    for finding in findings:
        # The public label names the rule; the evidence is only in the operator's reason.
        assert finding.evidence and finding.evidence in finding.reason
        for language in ("zh-CN", "zh-TW", "en"):
            assert finding.evidence not in rule_label(language, finding.rule)


def test_rule_label_names_rules_and_never_fails():
    from tongxin.federation.screen import rule_label

    assert rule_label("zh-CN", "terms:gambling,hidden_links") == "疑似博彩内容、含有隐藏链接"
    assert rule_label("en", "keyword_run") == "looks like keyword stuffing"
    assert rule_label("zh-TW", None) == rule_label("zh-TW", "bogus") == "未通過入庫篩查"


def test_a_bad_rules_file_names_the_line(tmp_path: Path):
    path = tmp_path / "rules.yaml"
    path.write_text("threshold: 3\nrules: [terms, keyword_rum]\n", encoding="utf-8")
    with pytest.raises(ScreenRulesError) as error:
        ScreenRules.load(language="en", defaults_path=path)
    assert error.value.problems == [
        f"{path}:2: field rules[1] should be one of terms, keyword_run, hidden_text, "
        "new_domains, update, spread, found 'keyword_rum'; did you mean keyword_run?"
    ]


def test_every_format_character_is_stripped_before_matching() -> None:
    """The screen's format-character class holds every Cf character of Unicode."""
    import sys
    import unicodedata

    from tongxin.federation.screen_text import normalise

    every = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert len(every) > 150
    assert normalise("永" + "".join(every) + "利") == "永利"


def test_a_wechat_article_copied_whole_is_published_whole(rules: ScreenRules):
    item = next(i for i in CLEAN if i["name"] == "wechat-article-copied-whole")
    raw = entry_of(item)
    clean = sanitise_entry(raw, raw.url)
    assert screen_entry(clean, raw, History(), rules) is None
    # the wrapper's text is not dropped as hidden before sanitising
    assert "会议强调" in (clean.content_html or "")
    assert "visibility" not in (clean.content_html or "")


def test_a_players_address_counts_as_a_link(rules: ScreenRules):
    # the sanitiser leaves a link to what a player played: the screen reads it as a link
    facts = read_html(
        '<p>看</p><iframe src="https://v.example/p?vid=1"></iframe>'
        '<div style="display:none"><iframe src="https://spam.example/x"></iframe></div>',
        rules,
        "https://nanhu.example/news/1/",
    )
    assert "https://v.example/p?vid=1" in facts.links
    assert facts.hidden_links == ["https://spam.example/x"]
