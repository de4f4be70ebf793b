"""The option framework (tongxin/config): each option names the field, the expectation and
the finding; the content schemas accept what a branch may contain."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tongxin.config import CONTENT_TYPES, FRONT_MATTER, SITE
from tongxin.config.options import (
    Choice,
    Context,
    DateTime,
    Integer,
    ListOf,
    SubConfig,
    Text,
    Type,
    escapes_output,
    field_name,
    validate,
)


def messages(option, value, language: str = "en") -> list[str]:
    ctx = Context(language)
    option.validate(value, ("field",), ctx)
    return [issue.message for issue in ctx.issues]


def test_field_names_read_like_paths() -> None:
    assert field_name(("quiz", 2, "answer")) == "quiz[2].answer"
    assert field_name(("contact", "email")) == "contact.email"


def test_type_refuses_booleans_as_integers() -> None:
    assert messages(Integer(), True) == ["field field should be an integer, found true"]
    assert messages(Integer(minimum=1), 0) == ["field field should be at least 1, found 0"]
    assert messages(Integer(), 3) == []


def test_text_empty_and_pattern() -> None:
    assert messages(Text(), "  ") == ["field field must not be empty"]
    assert messages(Text(pattern=r"[a-z]+", expected="type_slug"), "A")[0].endswith("found 'A'")


def test_choice_suggests_close_values_in_each_language() -> None:
    assert messages(Choice(["draft", "published"]), "drafr") == [
        "field field should be one of draft, published, found 'drafr'; did you mean draft?"
    ]
    assert messages(Choice(["draft"]), "drafr", "zh-TW")[0].endswith("，是不是想寫 draft？")


def test_datetime_accepts_dates_and_refuses_impossible_ones() -> None:
    assert messages(DateTime(), date(2026, 3, 1)) == []
    assert messages(DateTime(), "2026-03-01 09:30") == []
    assert DateTime(date_only=True).validate(datetime(2026, 3, 1, 9), (), Context("en")) == date(
        2026, 3, 1
    )
    assert "does not exist" in messages(DateTime(), "2026-02-30")[0]
    assert "should be a date" in messages(DateTime(), 20260301)[0]


def test_list_items_are_validated_with_their_index() -> None:
    ctx = Context("en")
    ListOf(Text()).validate(["a", 1], ("tags",), ctx)
    assert [issue.path for issue in ctx.issues] == [("tags", 1)]


def test_subconfig_required_unknown_and_one_of() -> None:
    schema = SubConfig(
        {"title": Text(required=True), "file": Text(), "url": Text()}, one_of=("file", "url")
    )
    found = messages(schema, {"titel": "x", "file": "a", "url": "b"})
    assert "unknown field field.titel; did you mean title?" in found
    assert "missing required field field.title: add it, as title: …" in found
    assert "field field needs one of file / url" in found


def test_type_of_several_kinds() -> None:
    assert messages(Type((str, int), "type_str"), 1234) == []
    assert messages(Type((str, int), "type_str"), [1]) == ["field field should be text, found [1]"]


@pytest.mark.parametrize(
    ("value", "escapes"),
    [
        ("news/a/index.html", False),
        ("a..b/index.html", False),
        ("../a.html", True),
        ("/a.html", True),
        ("a/../../b", True),
        ("C:\\evil.html", True),
        ("file:///etc/passwd", True),
    ],
)
def test_escapes_output(value: str, escapes: bool) -> None:
    assert escapes_output(value) is escapes


def test_schemas_accept_a_complete_example() -> None:
    site = {
        "name": "支部",
        "url": "https://a.example/",
        "language": "zh-TW",
        "contact": {"email": "a@a.example", "phone": "12345678"},
        "nav": [{"title": "關於", "url": "/about/"}],
        "timezone": "Asia/Taipei",
        "stale_days": 14,
    }
    assert validate(SITE, site, "zh-TW")[1] == []
    quiz = [{"question": "問", "options": ["甲", "乙"], "answer": [0, 1], "explanation": "因為"}]
    study = {"title": "第一講", "series": "黨章", "order": 1, "quiz": quiz}
    assert validate(FRONT_MATTER["study"], study, "zh-TW")[1] == []


def test_every_content_type_has_a_schema_sharing_pelicans_names() -> None:
    assert set(FRONT_MATTER) == {"news", "announcements", "study", "pages"}
    for schema in FRONT_MATTER.values():
        assert {"title", "date", "modified", "tags", "summary", "slug", "author", "status"} <= set(
            schema.fields
        )


def test_front_matter_declares_every_content_type() -> None:
    assert tuple(FRONT_MATTER) == CONTENT_TYPES


def test_a_malformed_address_is_a_problem_not_a_crash() -> None:
    from tongxin.config.options import Url

    assert messages(Url(), "http://[::1") == [
        "field field should be a full http:// or https:// address, found 'http://[::1'"
    ]


def test_every_framework_message_exists_in_every_language() -> None:
    from pathlib import Path

    import yaml

    locale = Path(__file__).parent.parent / "tongxin" / "locale"

    def keys(data: dict, prefix: str = "") -> set[str]:
        found: set[str] = set()
        for key, value in data.items():
            name = f"{prefix}{key}"
            found |= keys(value, name + ".") if isinstance(value, dict) else {name}
        return found

    catalogues = {
        lang: keys(yaml.safe_load((locale / lang / "config.yaml").read_text(encoding="utf-8")))
        for lang in ("zh-CN", "zh-TW", "en")
    }
    assert catalogues["zh-TW"] == catalogues["zh-CN"] == catalogues["en"]


def test_a_phone_number_is_the_text_as_written(tmp_path) -> None:
    # a trial: phone: 02765432100 (a Wuhan number, unquoted) is octal to YAML, and the footer
    # published tel:399914048 with no message
    from tongxin.check import check_branch
    from tongxin.settings import load_site

    content = tmp_path / "content"
    content.mkdir()
    (content / "site.yaml").write_text(
        "\ufeffname: 某社区党支部\nurl: https://example.org/\nlanguage: zh-CN\n"
        "contact:\n  phone: 02765432100\n",
        encoding="utf-8",
    )
    assert load_site(tmp_path)["contact"]["phone"] == "02765432100"
    assert not [p for p in check_branch(tmp_path) if "phone" in p.message]
