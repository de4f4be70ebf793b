"""The web editor's configuration, and that what Decap CMS writes passes ``tongxin check``.

Entries are serialised by Decap's own formatters (decap-cms-core's ``dist/esm/formats``,
run in node by tests/js/decap-frontmatter.mjs), with values shaped as Decap's widgets
produce them for the generated config: the datetime widget's formatted text, the date-only
``expires``, numbers, booleans, lists, an attachment uploaded through the file widget,
fields shown and left empty (``""``). The browser test (test_editor_browser.py) drives the
real editor; this one covers every content type and the settings file quickly.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_new_branch import only_sample_warnings

from tongxin.check import check_branch
from tongxin.config import CONTENT_TYPES, FRONT_MATTER, SITE, validate
from tongxin.config.content import STATUSES
from tongxin.config.options import document_problems, parse_document
from tongxin.editor import NOT_IN_FORM, SITE_NOT_IN_FORM, SLUG_TEMPLATE, decap_config
from tongxin.i18n import LANGUAGES

REPO = Path(__file__).resolve().parent.parent
FORMATTER = REPO / "tests" / "js" / "decap-frontmatter.mjs"
SITE_BASE = {"name": "东江社区党支部", "url": "https://dongjiang.example/", "language": "zh-CN"}


def decap_files(items: list[dict[str, Any]]) -> list[str]:
    if shutil.which("node") is None or not (REPO / "node_modules" / "decap-cms-core").is_dir():
        pytest.skip("node or node_modules/decap-cms-core missing (run ./scripts/setup)")
    done = subprocess.run(
        ["node", str(FORMATTER)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(done.stdout))


def names(fields: list[dict[str, Any]]) -> list[str]:
    return [field["name"] for field in fields]


@pytest.mark.parametrize(
    ("language", "locale", "news"),
    [("zh-CN", "zh_Hans", "要闻"), ("zh-TW", "zh_Hant", "要聞"), ("en", "en", "News")],
)
def test_config_follows_the_site_language(language: str, locale: str, news: str) -> None:
    config = decap_config({**SITE_BASE, "language": language})
    assert config["locale"] == locale
    assert config["collections"][0]["label"] == news
    labels = [f["label"] for c in config["collections"][:4] for f in c["fields"]]
    assert all(label and not label.startswith("editor.") for label in labels)


@pytest.mark.parametrize(
    ("language", "draft"),
    [("zh-CN", "草稿（不发布）"), ("zh-TW", "草稿（不發佈）"), ("en", "Draft (not published)")],
)
def test_the_status_select_names_its_choices(language: str, draft: str) -> None:
    """The select showed published/draft/hidden as written (a trial's zh-TW editor); each is
    named in the site's language and still saves the value the schema takes."""
    config = decap_config({**SITE_BASE, "language": language})
    status = next(f for f in config["collections"][0]["fields"] if f["name"] == "status")
    assert [o["value"] for o in status["options"]] == list(STATUSES)
    assert status["options"][1]["label"] == draft


def test_collections_are_the_schema() -> None:
    config = decap_config(SITE_BASE)
    by_name = {c["name"]: c for c in config["collections"]}
    assert list(by_name) == [*CONTENT_TYPES, "settings"]
    for kind in CONTENT_TYPES:
        expected = [n for n in FRONT_MATTER[kind].fields if n not in NOT_IN_FORM]
        assert names(by_name[kind]["fields"]) == [*expected, "body"]
        assert by_name[kind]["folder"] == f"content/{kind}"
        assert by_name[kind]["slug"] == SLUG_TEMPLATE
    quiz = next(f for f in by_name["study"]["fields"] if f["name"] == "quiz")
    assert names(quiz["fields"]) == ["question", "options", "answer", "explanation"]
    assert [f["required"] for f in quiz["fields"]] == [True, True, True, False]
    attachments = next(f for f in by_name["announcements"]["fields"] if f["name"] == "attachments")
    upload = next(f for f in attachments["fields"] if f["name"] == "file")
    assert upload["widget"] == "file" and upload["media_folder"] == "/content/files"
    site = by_name["settings"]["files"][0]
    assert site["file"] == "content/site.yaml"
    assert names(site["fields"]) == [n for n in SITE.fields if n not in SITE_NOT_IN_FORM]
    assert config["media_folder"] == "content/files"


def test_local_backend_is_loopback_only() -> None:
    config = decap_config({**SITE_BASE, "editor": {"backend": "local", "local_port": 8111}})
    assert config["backend"] == {
        "name": "proxy",
        "proxy_url": "http://127.0.0.1:8111/api/v1",
        "branch": "main",
    }
    assert "publish_mode" not in config


@pytest.mark.parametrize(
    ("kind", "api_root", "workflow"),
    [
        ("gitlab", "https://git.example.org/api/v4", True),
        ("gitea", "https://git.example.org/api/v1", False),
        ("forgejo", "https://git.example.org/api/v1", True),
    ],
)
def test_forge_backends(kind: str, api_root: str, workflow: bool) -> None:
    editor = {
        "backend": kind,
        "repo": "dangjian/dongjiang",
        "base_url": "https://git.example.org/",
        "app_id": "abc123",
    }
    site = {**SITE_BASE, "editor": editor}
    assert validate(SITE, site, "zh-CN")[1] == []
    config = decap_config(site)
    assert config["backend"]["name"] == kind
    assert config["backend"]["api_root"] == api_root
    assert config["backend"]["repo"] == "dangjian/dongjiang"
    assert (config.get("publish_mode") == "editorial_workflow") is workflow
    if kind == "gitlab":
        assert config["backend"]["auth_type"] == "pkce"


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh-CN", "需要写 editor.repo"), ("zh-TW", "需要寫 editor.repo"), ("en", "needs editor.repo")],
)
def test_a_forge_without_its_repository_is_explained(language: str, words: str) -> None:
    text = "name: a\nurl: https://a.example/\nlanguage: zh-CN\neditor:\n  backend: gitlab\n"
    document = parse_document(text, "content/site.yaml", language)
    assert not isinstance(document, Exception)
    _, problems = document_problems("content/site.yaml", document, SITE, language)  # type: ignore[arg-type]
    messages = [str(p) for p in problems]
    assert any(words in m and "content/site.yaml:4" in m for m in messages), messages


def write_branch(root: Path) -> None:
    (root / "content" / "files").mkdir(parents=True)
    (root / "content" / "files" / "roster.pdf").write_bytes(b"%PDF-1.4\n")
    (root / "content" / "files" / "winter.png").write_bytes(b"\x89PNG\r\n\x1a\n")


DECAP_ENTRIES: list[tuple[str, dict[str, Any]]] = [
    (
        "news",
        {
            "title": "支部召开组织生活会：总结 2026 年工作",
            "date": "2026-12-06 09:30",
            "tags": ["组织生活", "支部建设"],
            "summary": "",
            "author": "",
            "body": "会议由书记主持。\n\n![照片](../files/winter.png)\n",
        },
    ),
    (
        "announcements",
        {
            "title": "关于报送 2026 年度党费的通知",
            "date": "2026-12-06 10:00",
            "tags": [],
            "pinned": True,
            "expires": "2026-12-31",
            "attachments": [{"title": "值班表", "file": "files/roster.pdf"}],
            "status": "",
            "body": "请各党小组于月底前报送。",
        },
    ),
    (
        "study",
        {
            "title": "党章学习（一）",
            "date": "2026-12-06 11:00",
            "series": "党章学习",
            "order": 1,
            "quiz": [
                {
                    "question": "党的最高理想是什么？",
                    "options": ["实现共产主义", "发展经济"],
                    "answer": [0],
                    "explanation": "",
                },
                {
                    "question": "下列哪些是党员的义务？",
                    "options": ["学习", "纳税", "缴纳党费"],
                    "answer": [0, 2],
                },
            ],
            "body": "第一章 党员。",
        },
    ),
    ("pages", {"title": "关于我们", "date": "2026-12-06 12:00", "body": "东江社区党支部。"}),
]


def test_what_decap_writes_passes_check(tmp_path: Path) -> None:
    write_branch(tmp_path)
    config = decap_config(SITE_BASE)
    by_name = {c["name"]: c for c in config["collections"]}
    items = [
        {"format": "frontmatter", "data": data, "sortedKeys": names(by_name[kind]["fields"])}
        for kind, data in DECAP_ENTRIES
    ]
    site = {
        **SITE_BASE,
        "description": "",
        "contact": {"email": "a@b.example", "phone": "0000-1234567", "address": ""},
        "nav": [{"title": "要闻", "url": "news/"}],
        "stale_days": 30,
    }
    site_fields = names(by_name["settings"]["files"][0]["fields"])
    items.append({"format": "yaml", "data": site, "sortedKeys": site_fields})
    *entries, site_text = decap_files(items)
    (tmp_path / "content" / "site.yaml").write_text(site_text, encoding="utf-8")
    for (kind, _), text in zip(DECAP_ENTRIES, entries, strict=True):
        folder = tmp_path / "content" / kind
        folder.mkdir(exist_ok=True)
        (folder / "20261206-093000.md").write_text(text, encoding="utf-8")
    # Decap quoted the ASCII colon in the title: the YAML stays valid
    assert (
        'title: "支部召开组织生活会：总结 2026 年工作"' in entries[0] or "title: 支部" in entries[0]
    )
    assert [str(p) for p in check_branch(tmp_path)] == []


def test_check_still_reports_an_empty_title(tmp_path: Path) -> None:
    write_branch(tmp_path)
    (tmp_path / "content" / "site.yaml").write_text(yaml.safe_dump(SITE_BASE, allow_unicode=True))
    (tmp_path / "content" / "news").mkdir()
    (tmp_path / "content" / "news" / "a.md").write_text('---\ntitle: ""\nsummary: ""\n---\nx\n')
    problems = [str(p) for p in check_branch(tmp_path)]
    assert len(problems) == 1 and "content/news/a.md:2" in problems[0], problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_built_site_serves_the_editor_from_itself(tmp_path: Path, language: str) -> None:
    from tongxin.plugins.editor import bundle_files, write_editor

    try:
        bundle_files(None)
    except RuntimeError as error:
        pytest.skip(str(error))
    admin = write_editor(tmp_path, {**SITE_BASE, "language": language}, None)
    html = (admin / "index.html").read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html  # never a CDN
    assert f'lang="{language}"' in html
    assert (admin / "decap-cms.js").stat().st_size > 1_000_000
    config = yaml.safe_load((admin / "config.yml").read_text(encoding="utf-8"))
    assert config == json.loads(json.dumps(decap_config({**SITE_BASE, "language": language})))


def test_local_backend_commits_each_save_when_asked(tmp_path: Path) -> None:
    """``editor: {backend: local, commit: true}``: decap-server in git mode turns a save,
    sent as Decap sends it, into a commit on the checked-out branch; the entry checks."""
    import socket
    import urllib.request

    from tongxin.editor import current_git_branch
    from tongxin.editor_local import LocalBackendMissing, local_backend, server_script
    from tongxin.scaffold import create_branch

    try:
        server_script()
    except LocalBackendMissing as error:
        pytest.skip(str(error))
    root = tmp_path / "office"
    create_branch(root, name="东江社区党支部", url="https://dongjiang.example/")
    branch = current_git_branch(root)
    assert branch and decap_config(SITE_BASE, git_branch=branch)["backend"]["branch"] == branch
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (text,) = decap_files(
        [{"format": "frontmatter", "data": dict(DECAP_ENTRIES[3][1]), "sortedKeys": ["title"]}]
    )
    path = "content/pages/20261206-120000.md"
    request = {
        "action": "persistEntry",
        "params": {
            "branch": branch,
            "entry": {"slug": "20261206-120000", "path": path, "raw": text},
            "assets": [],
            "options": {
                "collectionName": "pages",
                "commitMessage": "Create Pages “关于我们”",
                "useWorkflow": False,
                "status": "draft",
            },
        },
    }
    with local_backend(root, port, commit=True) as url:
        call = urllib.request.Request(
            url, json.dumps(request).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(call, timeout=30) as response:
            assert response.status == 200
    log = subprocess.run(
        ["git", "-C", str(root), "log", "--format=%s", "-1", "--", path],
        capture_output=True,
        text=True,
        check=True,
    )
    assert log.stdout.strip() == "Create Pages “关于我们”"
    assert only_sample_warnings(check_branch(root))


def decap_file_names(options: dict[str, Any], files: list[str]) -> list[str]:
    if shutil.which("node") is None or not (REPO / "node_modules" / "decap-cms-core").is_dir():
        pytest.skip("node or node_modules/decap-cms-core missing (run ./scripts/setup)")
    done = subprocess.run(
        ["node", str(REPO / "tests" / "js" / "decap-slug.mjs")],
        input=json.dumps({"options": options, "names": files}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(done.stdout))


def test_an_upload_keeps_its_chinese_name(tmp_path: Path) -> None:
    # a trial: 大照片 活动 现场.jpg was saved as ".jpg", and the next upload replaced it (the
    # other article then showed this one's photo)
    slug = decap_config(SITE_BASE)["slug"]
    uploaded = ["大照片 活动 现场.jpg", "慰问 照片.jpg", "报名 回执 表.docx", "IMG_0001.JPG"]
    saved = decap_file_names(slug, uploaded)
    assert saved == ["大照片-活动-现场.jpg", "慰问-照片.jpg", "报名-回执-表.docx", "img_0001.jpg"]
    # and such names pass tongxin check, linked from an entry as the editor writes them
    branch = tmp_path / "b"
    (branch / "content" / "files").mkdir(parents=True)
    (branch / "content" / "news").mkdir()
    (branch / "content" / "site.yaml").write_text(yaml.safe_dump(SITE_BASE, allow_unicode=True))
    for name in saved:
        (branch / "content" / "files" / name).write_bytes(b"x")
    body = "".join(f"![照片](../files/{name})\n\n" for name in saved)
    (branch / "content/news/a.md").write_text(f"---\ntitle: 走访\n---\n{body}", encoding="utf-8")
    assert check_branch(branch) == []


def test_the_form_refuses_what_the_check_would() -> None:
    config = decap_config(SITE_BASE)
    news = next(c for c in config["collections"] if c["name"] == "news")
    title = next(f for f in news["fields"] if f["name"] == "title")
    pattern = re.compile(title["pattern"][0])  # (Decap: new RegExp(pattern))
    assert pattern.search("社区开展　义诊活动")  # a full-width space inside is text
    for pasted in ("　　义诊活动", "社区\u200b义诊", " 义诊"):
        assert not pattern.search(pasted), pasted
    study = next(c for c in config["collections"] if c["name"] == "study")
    quiz = next(f for f in study["fields"] if f["name"] == "quiz")
    options = next(f for f in quiz["fields"] if f["name"] == "options")
    assert options["field"]["widget"] == "string"  # a box an option: 甲，乙，丙 was one
    notices = next(c for c in config["collections"] if c["name"] == "announcements")
    attachments = next(f for f in notices["fields"] if f["name"] == "attachments")
    upload = next(f for f in attachments["fields"] if f["name"] == "file")
    assert upload["required"] is True  # a title without its file was saved, then refused
