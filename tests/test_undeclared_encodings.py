"""Feeds that do not say their encoding and are not UTF-8, read with text the team did not write:
the translations of Decap CMS (decap-cms-locales, pinned in package-lock.json: zh_Hans,
zh_Hant, ja, ko) and the demo's articles. Chinese in GBK or GB18030 is read right whatever its
length; Japanese (EUC-JP, Shift_JIS), Korean (EUC-KR) and Big5 are read right once a feed
holds some 16 titles (charset-normalizer decides); shorter text than
:data:`MIN_EVIDENCE` is read as GB18030, as Chinese sites serve it."""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml
from feedserver import FeedServer
from test_pipeline import federate, server, stored
from tongxin.federation.encoding import MIN_EVIDENCE, fix_encoding
from tongxin.federation.model import Branch
from tongxin.federation.parse import parse_feed

__all__ = ["server"]  # the fixture, re-exported for pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "node_modules" / "decap-cms-locales" / "src"
_STRING_RE = re.compile(r"'((?:[^'\\]|\\.)*)'")
_WIDE_RE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")


def strings(lang: str, encoding: str) -> list[str]:
    """The locale's strings holding CJK text that ``encoding`` can write."""
    text = (LOCALES / lang / "index.js").read_text(encoding="utf-8")
    found = [s.replace("\\'", "'") for s in _STRING_RE.findall(text) if _WIDE_RE.search(s)]
    return [s for s in found if s.encode(encoding, "ignore").decode(encoding) == s]


def demo_texts() -> list[tuple[str, str]]:
    """(title, body) of every demo article."""
    found = []
    for path in sorted((ROOT / "demo" / "branches").glob("*/content/**/*.md")):
        text = path.read_text(encoding="utf-8")
        title = re.search(r"^title:\s*(.+)$", text, re.M)
        body = text.split("---", 2)[-1].strip()
        found.append((title.group(1).strip(" \"'") if title else body[:20], body))
    return found


def rss(titles: list[str], description: str = "") -> str:
    """An RSS document declaring no encoding, one item per title."""
    items = "".join(
        f"<item><title>{escape(t)}</title><link>http://site.example/{n}.html</link>"
        f"<description>{escape(description)}</description></item>"
        for n, t in enumerate(titles)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>站</title>'
        f"<link>http://site.example/</link><description>d</description>{items}</channel></rss>"
    )


def read(document: str, encoding: str) -> str | None:
    """What Tongxin makes of ``document`` served in ``encoding`` without a word about it;
    ``None`` when those bytes are also valid UTF-8 (read as UTF-8, rightly so)."""
    body = document.encode(encoding)
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    return fix_encoding(body, None).decode("utf-8").split("?>", 1)[1]


def misread(documents: list[str], encoding: str) -> list[str]:
    wrong = []
    for document in documents:
        got = read(document, encoding)
        if got is not None and got != document.split("?>", 1)[1]:
            wrong.append(document)
    return wrong


def groups(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items) - size + 1, size)]


@pytest.mark.parametrize(
    ("lang", "encoding"),
    [("zh_Hans", "gbk"), ("zh_Hant", "gbk"), ("zh_Hans", "gb18030"), ("zh_Hans", "gb2312")],
)
def test_undeclared_chinese_is_read_right_short_and_long(lang: str, encoding: str) -> None:
    texts = strings(lang, encoding)
    assert len(texts) > 150
    short = [rss([t]) for t in texts]  # one title: a few bytes, up to a sentence
    long = [rss(g) for size in (2, 4, 12) for g in groups(texts, size)]
    assert misread(short, encoding) == []
    assert misread(long, encoding) == []


def test_undeclared_gbk_demo_articles_are_read_right() -> None:
    articles = demo_texts()
    assert len(articles) > 20
    assert misread([rss([title]) for title, _ in articles], "gbk") == []
    assert misread([rss([title], body) for title, body in articles], "gbk") == []


@pytest.mark.parametrize(
    ("lang", "encoding"),
    [("ja", "euc_jp"), ("ja", "shift_jis"), ("ko", "euc_kr"), ("zh_Hant", "big5")],
)
def test_undeclared_japanese_korean_and_big5_feeds_are_read_right(lang: str, encoding: str) -> None:
    """16 short titles (some 150 characters); with 12, one EUC-JP feed in 16 is still read as
    GB18030 (its kana are the same bytes in both), with 8 one in six."""
    feeds = [rss(g) for g in groups(strings(lang, encoding), 16)]
    assert len(feeds) >= 10
    assert misread(feeds, encoding) == []


def test_short_undeclared_text_is_read_as_gb18030() -> None:
    """Under MIN_EVIDENCE bytes no detector tells Korean from Chinese: the documented limit."""
    title = "로그인"  # ko: "log in"
    body = rss([title]).encode("euc_kr")
    assert len(re.findall(rb"[\x80-\xff]", body)) < MIN_EVIDENCE
    got = fix_encoding(body, None).decode("utf-8")
    assert title not in got
    assert f"<title>{title.encode('euc_kr').decode('gb18030')}</title>" in got


def test_undeclared_feeds_of_four_languages_through_federate(
    server: FeedServer, tmp_path: Path
) -> None:
    """A Discuz board in GBK declaring nothing, a PHPCMS site in GBK that declares UTF-8, an
    old Korean board in EUC-KR and a Japanese blog in Shift_JIS, all served without a
    charset: every title reaches the store as written, none is held as mojibake."""
    zh = strings("zh_Hans", "gbk")[:12]
    feeds = {
        "discuz": (rss(zh, "请全体党员准时参加"), "gbk"),
        "phpcms": (rss(zh[:1]).replace("?>", ' encoding="utf-8"?>', 1), "gbk"),
        "gnuboard": (rss(strings("ko", "euc_kr")[:16]), "euc_kr"),
        "blog": (rss(strings("ja", "shift_jis")[16:32]), "shift_jis"),
    }
    branches = []
    for name, (document, encoding) in feeds.items():
        server.route(f"/{name}/rss", body=document.encode(encoding), content_type="text/xml")
        branches.append({"id": name, "name": name, "feed": server.url(f"/{name}/rss")})
    path = tmp_path / "r.yaml"
    data = {"name": "门户", "url": server.url("/p/"), "branches": branches}
    data["allow_networks"] = ["127.0.0.1"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    report = federate(path, tmp_path / "portal")
    assert not report.failed
    titles: dict[str, set[str]] = {}
    for entry in stored(tmp_path / "portal"):
        assert entry.quarantine_reason is None, (entry.branch_id, entry.title)
        titles.setdefault(entry.branch_id, set()).add(entry.title)
    assert titles["discuz"] == {escape(t) for t in zh}
    assert titles["phpcms"] == {escape(zh[0])}
    assert titles["gnuboard"] == {escape(t) for t in strings("ko", "euc_kr")[:16]}
    assert titles["blog"] == {escape(t) for t in strings("ja", "shift_jis")[16:32]}


def test_east_asian_labels_read_as_the_superset_browsers_use(
    server: FeedServer, tmp_path: Path
) -> None:
    """DedeCMS declares gb2312 and serves GBK (朱镕基, 王喆 are not in GB2312); a GBK page carries
    GB18030's four-byte characters (𠀀); a Hong Kong site declares big5 and writes HKSCS (㗎).
    libxml2 reads each label strictly; browsers read the superset, and so does Tongxin. A site
    moved to UTF-8 under its old template's gb2312 label is read as UTF-8."""
    feeds = {
        "dedecms": ("gb2312", "gb18030", "朱镕基与王喆参加活动"),
        "phpcms": ("gbk", "gb18030", "生僻字𠀀的通知"),
        "hk": ("big5", "big5hkscs", "香港字㗎"),
        "moved": ("gb2312", "utf-8", "社区志愿服务活动报名"),  # UTF-8 now: 绀惧尯… as GB18030
    }
    branches = []
    for name, (label, encoding, title) in feeds.items():
        document = rss([title]).replace(
            '<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{label}"?>'
        )
        document = document.replace("站", "s")  # a title Big5 can write
        server.route(f"/{name}/rss", body=document.encode(encoding), content_type="text/xml")
        branches.append({"id": name, "name": name, "feed": server.url(f"/{name}/rss")})
    path = tmp_path / "r.yaml"
    data = {"name": "门户", "url": server.url("/p/"), "branches": branches}
    data["allow_networks"] = ["127.0.0.1"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    federate(path, tmp_path / "portal")
    titles = {e.branch_id: e.title for e in stored(tmp_path / "portal")}
    assert titles == {name: title for name, (_, _, title) in feeds.items()}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_feeds_are_read(encoding: str) -> None:
    """Their ASCII is valid UTF-8 with NUL bytes between: never to be taken for UTF-8."""
    label = encoding.replace("-le", "le").replace("-be", "be")
    document = rss(["宽字符的通知"]).replace("?>", f' encoding="{label}"?>', 1)
    body = document.encode(encoding)
    branch = Branch("w", "w", "http://site.example/feed.xml")
    feed = parse_feed(body, url=branch.feed, branch=branch, content_type="application/xml")
    assert [e.title for e in feed.entries] == ["宽字符的通知"]


def test_windows_1252_bytes_in_a_latin_1_feed_read_as_browsers_read_them(
    server: FeedServer, tmp_path: Path
) -> None:
    """A feed declaring ISO-8859-1 written in Windows-1252 (’ “ ” € are 0x92 0x93 0x94 0x80
    there, C1 controls in Latin-1): read as browsers and feedparser read it, on both paths."""
    title = "Don’t miss “Open Day”: €5 entry…"
    document = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>t</title>'
        "<link>http://site.example/</link><description>d</description>"
        f"<item><title>{title}</title><link>http://site.example/1</link></item></channel></rss>"
    )
    body = document.encode("cp1252")
    server.route("/fast/rss", body=body, content_type="text/xml")
    server.route("/slow/rss", body=b"\n\n" + body, content_type="text/xml")
    branches = [{"id": n, "name": n, "feed": server.url(f"/{n}/rss")} for n in ("fast", "slow")]
    path = tmp_path / "r.yaml"
    data = {"name": "门户", "url": server.url("/p/"), "branches": branches}
    data["allow_networks"] = ["127.0.0.1"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    federate(path, tmp_path / "portal")
    assert {e.branch_id: e.title for e in stored(tmp_path / "portal")} == {
        "fast": title,
        "slow": title,
    }


def test_a_servers_default_charset_does_not_turn_utf8_into_mojibake(
    server: FeedServer, tmp_path: Path
) -> None:
    """Chinese hosting often sends ``charset=gbk`` (Apache: ``ISO-8859-1``) for every file;
    a UTF-8 feed without a declaration is still read as UTF-8, a GBK one as GBK."""
    title = "社区志愿服务活动报名"  # UTF-8 bytes GB18030 would read as 绀惧尯蹇楁効…
    feeds = {
        "utf8": (rss([title]).encode(), "text/xml; charset=gbk"),
        "latin": (rss([title]).encode(), "text/xml; charset=ISO-8859-1"),
        "gbk": (rss([title]).encode("gbk"), "text/xml; charset=gbk"),
    }
    branches = []
    for name, (body, kind) in feeds.items():
        server.route(f"/{name}/rss", body=body, content_type=kind)
        branches.append({"id": name, "name": name, "feed": server.url(f"/{name}/rss")})
    path = tmp_path / "r.yaml"
    data = {"name": "门户", "url": server.url("/p/"), "branches": branches}
    data["allow_networks"] = ["127.0.0.1"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    federate(path, tmp_path / "portal")
    assert {e.branch_id: e.title for e in stored(tmp_path / "portal")} == dict.fromkeys(
        feeds, title
    )


@pytest.mark.parametrize("encoding", ["shift_jis", "euc_jp"])
def test_short_undeclared_japanese_is_read_by_its_kana(encoding: str) -> None:
    """One short Japanese title (under MIN_EVIDENCE bytes) is read as Japanese by its kana;
    short Chinese of the same length never is (its bytes give no kana in either)."""
    title = "ゲーム三昧な正月、ブログに記事を投稿しました"
    body = rss([title]).encode(encoding)
    assert len(re.findall(rb"[\x80-\xff]", body)) < MIN_EVIDENCE
    assert f"<title>{title}</title>" in fix_encoding(body, None).decode("utf-8")
    checked = 0
    for chinese in strings("zh_Hans", "gbk") + ["关于召开党员大会的通知，请全体党员准时参加"]:
        raw = rss([chinese]).encode("gbk")
        if len(re.findall(rb"[\x80-\xff]", raw)) >= MIN_EVIDENCE or _valid_utf8(raw):
            continue  # long: the detector's; valid UTF-8 by chance (筛选): read as UTF-8
        assert f"<title>{chinese}</title>" in fix_encoding(raw, None).decode("utf-8")
        checked += 1
    assert checked > 50


def _valid_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
