"""The option framework: a schema declared as data (in the spirit of MkDocs' ``config_options``).

Each option object validates one value and reports :class:`Issue` s naming the field, what
was expected and what was found, in the site's language (catalogue section ``config``).
Options know nothing about files or lines: an issue carries the key path
(``("quiz", 0, "answer")``) and :func:`document_problems` maps it to a line with
:meth:`tongxin.yamlsrc.YamlDocument.line_of`, giving ``path:line: message`` problems.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from tongxin.i18n import translate
from tongxin.problems import Problem
from tongxin.yamlsrc import (
    ROC_OFFSET,
    ImpossibleDate,
    KeyPath,
    YamlDocument,
    YamlSyntaxError,
    load_yaml,
    parse_date_text,
)


@dataclass(frozen=True)
class Issue:
    """One failed expectation at ``path`` inside a document."""

    path: KeyPath
    message: str


def field_name(path: KeyPath) -> str:
    """``("quiz", 0, "answer")`` → ``quiz[0].answer``: how messages name a field."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "-"


def shown(value: Any) -> str:
    """A short rendering of what the editor wrote, for "found …" in messages."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, dict):
        text = "{" + ", ".join(str(k) for k in value) + "}"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def message(language: str | None, key: str, **values: Any) -> str:
    """The framework's message ``key`` (catalogue section ``config``) in ``language``."""
    return translate(language, f"config.{key}", **values)


class Context:
    """The language messages are written in, and where issues are collected."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.issues: list[Issue] = []

    def t(self, key: str, **values: Any) -> str:
        return message(self.language, key, **values)

    def report(self, path: KeyPath, key: str, **values: Any) -> None:
        values.setdefault("field", field_name(path))
        self.issues.append(Issue(path, self.t(key, **values)))

    def wrong_type(self, path: KeyPath, expected_key: str, value: Any) -> None:
        if value is None:  # "title:" with nothing after it
            self.report(path, "empty_value", expected=self.t(expected_key))
            return
        self.report(path, "expected_type", expected=self.t(expected_key), found=shown(value))
        hint = ""
        if expected_key == "type_list" and isinstance(value, str) and value.strip():
            # 【a, b】 or 「a、b」: the editor meant a list in Chinese brackets
            hint = self.t("list_hint", fixed=as_list(value))
        elif expected_key == "type_int_or_list" and (fixed := answer_numbers(value)):
            hint = self.t("answer_hint", fixed=f"{path[-1]}: {fixed}")
        elif expected_key == "type_str" and isinstance(value, (int, float, date)):
            # (a YAML file's text fields are read as written, texts_as_written: this is data
            # given in code, or a value with no text of its own)
            quoted = f'"{shown(value)}"'
            if path and isinstance(path[-1], str):  # a list item is quoted alone
                quoted = f"{path[-1]}: {quoted}"
            hint = self.t("quote_hint", fixed=quoted)
        if hint:
            self.issues[-1] = Issue(path, self.issues[-1].message + hint)


def as_list(text: str) -> str:
    """Values typed as one text with Chinese brackets or separators (``【a，b】``, ``a、b``)
    written as the YAML list meant: ``[a, b]``."""
    inner = text.strip().strip("【】「」『』〔〕［］()（）")
    items = [item.strip() for item in re.split(r"[,，、;；]", inner) if item.strip()]
    return f"[{', '.join(items)}]"


_ANSWER_PART = re.compile(r"[A-Za-z]|\d+")


def answer_numbers(value: Any) -> str:
    """A quiz answer written as letters or with Chinese commas (``A``, ``A、C``, ``[0，2]``) as
    the numbers meant (``0``, ``[0, 2]``); "" when it is neither."""
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        value = ",".join(map(str, value))
    if not isinstance(value, str) or not re.fullmatch(r"[\sA-Za-z\d,，、;；]+", value):
        return ""
    parts = _ANSWER_PART.findall(value)
    letters = [p for p in parts if p.isalpha()]
    if not parts or (letters and len(letters) != len(parts)):
        return ""
    numbers = [ord(p.upper()) - ord("A") if p.isalpha() else int(p) for p in parts]
    return str(numbers[0]) if len(numbers) == 1 else "[" + ", ".join(map(str, numbers)) + "]"


class Option:
    """A field's expectations. ``validate`` reports issues and returns the clean value."""

    def __init__(self, required: bool = False) -> None:
        self.required = required

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        raise NotImplementedError


class Type(Option):
    """A value of one Python type; ``expected`` is the catalogue key naming it."""

    def __init__(
        self, kind: type | tuple[type, ...], expected: str, required: bool = False
    ) -> None:
        super().__init__(required)
        self.kind = kind
        self.expected = expected

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        # YAML's true/false are ints to Python; an editor's "order: true" is still wrong.
        if isinstance(value, bool) and bool not in kinds:
            ctx.wrong_type(path, self.expected, value)
        elif not isinstance(value, kinds):
            ctx.wrong_type(path, self.expected, value)
        return value


class Text(Type):
    """Text, non-empty unless told, optionally matching ``pattern``."""

    def __init__(
        self,
        required: bool = False,
        pattern: str | None = None,
        expected: str = "type_str",
        allow_empty: bool = False,
    ) -> None:
        super().__init__(str, "type_str", required)
        self.pattern = re.compile(pattern) if pattern else None
        self.pattern_expected = expected
        self.allow_empty = allow_empty

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        if not isinstance(value, str):
            ctx.wrong_type(path, "type_str", value)
        elif not value.strip() and not self.allow_empty:
            ctx.report(path, "empty")
        elif self.pattern and not self.pattern.fullmatch(value):
            ctx.report(path, "pattern", expected=ctx.t(self.pattern_expected), found=shown(value))
        return value


class Integer(Type):
    """A whole number (``number=True``: any number), at least ``minimum``."""

    def __init__(
        self, required: bool = False, minimum: float | None = None, number: bool = False
    ) -> None:
        kind: tuple[type, ...] = (int, float) if number else (int,)
        super().__init__(kind, "type_number" if number else "type_int", required)
        self.minimum = minimum

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        before = len(ctx.issues)
        super().validate(value, path, ctx)
        if len(ctx.issues) == before and self.minimum is not None and value < self.minimum:
            ctx.report(path, "min_value", minimum=self.minimum, found=shown(value))
        return value


class Choice(Option):
    """One of a fixed set of values, with a did-you-mean for near misses."""

    def __init__(self, choices: Iterable[str], required: bool = False) -> None:
        super().__init__(required)
        self.choices = tuple(choices)

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        if value not in self.choices:
            text = ctx.t(
                "choice",
                field=field_name(path),
                expected=", ".join(self.choices),
                found=shown(value),
            )
            text += suggestion(str(value), self.choices, ctx)
            ctx.issues.append(Issue(path, text))
        return value


class DateTime(Option):
    """A date or date-time; text in the forms editors write is parsed, impossible days refused."""

    def __init__(self, required: bool = False, date_only: bool = False) -> None:
        super().__init__(required)
        self.date_only = date_only

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        if isinstance(value, str):
            try:
                parsed = parse_date_text(value)
            except ImpossibleDate as error:  # 2026-02-30, or 25:00 (hour, minute, second)
                key = "impossible_date" if "day" in str(error) or "month" in str(error) else ""
                ctx.report(path, key or "impossible_time", found=shown(value))
                return value
            if parsed is None:
                ctx.report(path, "not_a_date", found=shown(value))
                return value
            value = parsed
        if not isinstance(value, date):
            ctx.report(path, "not_a_date", found=shown(value))
            return value
        if value.year < EARLIEST_YEAR:
            _too_early(value, path, ctx)
            return value
        if isinstance(value, datetime) and self.date_only:
            return value.date()
        return value


#: No site publishes before this year: an earlier one is a typing slip, or a Minguo year.
EARLIEST_YEAR = 1900
#: A year up to this may be a Minguo year (民國115年 is 2026).
LAST_ROC_YEAR = 200


def _too_early(value: date, path: KeyPath, ctx: Context) -> None:
    """``0115-03-05``: 民國115年 written as a year of the common era (1,911 years early)."""
    if value.year <= LAST_ROC_YEAR:
        fixed = value.replace(year=value.year + ROC_OFFSET).isoformat().replace("T", " ")
        ctx.report(path, "year_roc", year=value.year, fixed=fixed[:16])
    else:
        ctx.report(path, "year_too_early", year=value.year)


def is_http_url(value: Any) -> bool:
    """True for an absolute http(s) URL with a host."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value.strip())
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


class Url(Text):
    """An absolute http(s) address."""

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        if not isinstance(value, str):
            ctx.wrong_type(path, "type_str", value)
        elif not value.strip() and not self.allow_empty:
            ctx.report(path, "empty")
        elif not is_http_url(value):
            ctx.report(path, "url_scheme", found=shown(value))
        return value


class Timezone(Text):
    """An IANA time-zone name such as ``Asia/Shanghai``."""

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        if not isinstance(value, str):
            ctx.wrong_type(path, "type_str", value)
        elif value not in _timezones():
            text = ctx.t(
                "choice", field=field_name(path), expected="Asia/Shanghai, …", found=shown(value)
            )
            ctx.issues.append(Issue(path, text + suggestion(value, _timezones(), ctx)))
        return value


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones() or {"UTC", "Asia/Shanghai", "Asia/Taipei"})


class OutputPath(Text):
    """``save_as``/``url``: must stay inside the output folder (relative, no ``..``)."""

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        if not isinstance(value, str):
            ctx.wrong_type(path, "type_str", value)
        elif escapes_output(value):
            ctx.report(path, "output_escape", found=shown(value))
        return value


def escapes_output(value: str) -> bool:
    """True for paths a writer would place outside its output folder."""
    text = value.strip().replace("\\", "/")
    if not text:
        return False
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text) or urlsplit(text).scheme:
        return True
    return any(part == ".." for part in text.split("/")) or "\x00" in text


class ListOf(Option):
    """A list whose every item satisfies ``item``."""

    def __init__(self, item: Option, required: bool = False, non_empty: bool = False) -> None:
        super().__init__(required)
        self.item = item
        self.non_empty = non_empty

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        if not isinstance(value, list):
            ctx.wrong_type(path, "type_list", value)
            return value
        if self.non_empty and not value:
            ctx.report(path, "empty")
        return [self.item.validate(item, path + (index,), ctx) for index, item in enumerate(value)]


class MapOf(Option):
    """A mapping whose keys the writer chooses (text) and whose values satisfy ``value``."""

    def __init__(self, value: Option, required: bool = False) -> None:
        super().__init__(required)
        self.value = value

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        if not isinstance(value, dict):
            ctx.wrong_type(path, "type_mapping", value)
            return value
        return {
            str(key): self.value.validate(item, path + (str(key),), ctx)
            for key, item in value.items()
        }


Rule = Callable[[dict, KeyPath, Context], None]


class SubConfig(Option):
    """A mapping of known fields; unknown ones are errors with a did-you-mean.

    ``one_of`` names fields of which exactly one must be present (an attachment has a
    ``file`` or a ``url``); ``rules`` are extra checks over the whole mapping that
    relate fields to each other (a quiz answer must index an existing option).
    ``null_is_absent``: a field written with no value (``region:``) counts as not written.
    """

    def __init__(
        self,
        fields: dict[str, Option],
        required: bool = False,
        one_of: tuple[str, ...] = (),
        rules: tuple[Rule, ...] = (),
        null_is_absent: bool = False,
    ) -> None:
        super().__init__(required)
        self.fields = fields
        self.one_of = one_of
        self.rules = rules
        self.null_is_absent = null_is_absent

    def validate(self, value: Any, path: KeyPath, ctx: Context) -> Any:
        if not isinstance(value, dict):
            ctx.wrong_type(path, "type_mapping", value)
            return value
        if self.null_is_absent:
            value = {key: item for key, item in value.items() if item is not None}
        clean: dict[str, Any] = {}
        for key, item in value.items():
            option = self.fields.get(key) if isinstance(key, str) else None
            if option is None:
                text = ctx.t("unknown_field", field=field_name(path + (str(key),)))
                text += suggestion(str(key), self.fields, ctx) or unknown_hint(str(key), ctx)
                ctx.issues.append(Issue(path + (key,), text))
                continue
            clean[key] = option.validate(item, path + (key,), ctx)
        for key, option in self.fields.items():
            if option.required and key not in value:
                ctx.report(path, "required", field=field_name(path + (key,)), name=key)
        if self.one_of and sum(key in value for key in self.one_of) != 1:
            ctx.report(path, "one_of_keys", expected=" / ".join(self.one_of))
        for rule in self.rules:
            rule(value, path, ctx)
        return clean


#: Field names written in Chinese (a form copied from a Word template): the field meant.
CHINESE_FIELD_NAMES = {
    **dict.fromkeys(("标题", "標題", "题目", "題目", "名称", "名稱"), "title"),
    **dict.fromkeys(("日期", "时间", "時間", "发布日期", "發佈日期"), "date"),
    **dict.fromkeys(("标签", "標籤", "关键词", "關鍵詞"), "tags"),
    **dict.fromkeys(("摘要", "简介", "簡介"), "summary"),
    **dict.fromkeys(("作者", "撰稿"), "author"),
    **dict.fromkeys(("置顶", "置頂"), "pinned"),
    **dict.fromkeys(("附件",), "attachments"),
    **dict.fromkeys(("过期", "過期", "截止日期", "到期"), "expires"),
    **dict.fromkeys(("状态", "狀態"), "status"),
    **dict.fromkeys(("专题", "專題", "系列"), "series"),
    **dict.fromkeys(("顺序", "順序", "序号", "序號"), "order"),
    **dict.fromkeys(("正文", "内容", "內容"), "body"),
    **dict.fromkeys(("网址", "網址", "链接", "連結"), "url"),
    **dict.fromkeys(("语言", "語言"), "language"),
    **dict.fromkeys(("描述", "说明", "說明"), "description"),
    **dict.fromkeys(("导航", "導航"), "nav"),
    **dict.fromkeys(("联系方式", "聯絡方式"), "contact"),
    **dict.fromkeys(("电话", "電話"), "phone"),
    **dict.fromkeys(("邮箱", "電郵", "電子郵件"), "email"),
    **dict.fromkeys(("地址",), "address"),
    **dict.fromkeys(("文件", "檔案"), "file"),
}


#: Other names of the site languages (BCP 47 script subtags, locale spellings, the names):
#: ``zh-Hant`` is not a close spelling of ``zh-TW``, but it is what the writer meant.
LANGUAGE_NAMES = {
    **dict.fromkeys(("zh-hant", "zh-hk", "zh-mo", "zh-hant-tw", "繁体", "繁體", "繁体中文",
                     "繁體中文", "正體中文", "traditional chinese"), "zh-TW"),
    **dict.fromkeys(("zh", "zh-hans", "zh-sg", "zh-hans-cn", "中文", "简体", "簡體", "简体中文",
                     "簡體中文", "chinese", "simplified chinese"), "zh-CN"),
    **dict.fromkeys(("en-us", "en-gb", "english", "英文", "英语", "英語"), "en"),
}  # fmt: skip


#: Values written in Chinese (a form copied from a Word template): the value meant.
CHINESE_VALUES = {
    **dict.fromkeys(("草稿", "未发布", "未發佈"), "draft"),
    **dict.fromkeys(("发布", "發佈", "已发布", "已發佈", "公开", "公開"), "published"),
    **dict.fromkeys(("隐藏", "隱藏"), "hidden"),
}

#: Fields other generators (Hexo, Hugo, Jekyll, WordPress exports) write, and what to do.
_OTHER_FIELDS = {
    **dict.fromkeys(("category", "categories", "栏目", "欄目", "分类", "分類"), "hint_category"),
    **dict.fromkeys(("pinned", "top", "sticky"), "hint_pinned"),
}


def unknown_hint(key: str, ctx: Context) -> str:
    """What to do with a field this place does not know: the field meant, or delete it."""
    return ctx.t(_OTHER_FIELDS.get(key.strip().lower(), "hint_delete"))


def suggestion(word: str, candidates: Iterable[str], ctx: Context) -> str:
    """ ", did you mean X?" in the site's language, or nothing when no name is close."""
    candidates = list(candidates)
    same = [c for c in candidates if c.lower() == word.lower()]  # zh-cn is zh-CN, not zh-TW
    translated = (
        CHINESE_FIELD_NAMES.get(word.strip())
        or CHINESE_VALUES.get(word.strip())
        or LANGUAGE_NAMES.get(word.strip().lower().replace("_", "-"))
    )
    if same or translated in candidates:
        return ctx.t("did_you_mean", suggestion=same[0] if same else translated)
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not close and word.lower() != word:
        close = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return ctx.t("did_you_mean", suggestion=close[0]) if close else ""


def texts_as_written(
    schema: Option, value: Any, written: Mapping[KeyPath, str], path: KeyPath = ()
) -> Any:
    """``value`` with each unquoted scalar of a text field as the text written
    (:attr:`YamlDocument.plain`): ``title: 0755`` is "0755", not 493; ``title: No`` (which
    Decap CMS writes unquoted: YAML 1.2 has no such boolean) "No", not false; a phone
    number its digits. What a field of another kind (a date, a number) holds stays read."""
    if isinstance(schema, Text):
        plain = written.get(tuple(path))
        text = plain is not None and value is not None and not isinstance(value, str)
        return plain if text else value  # (an empty value, title:, stays empty)
    if isinstance(schema, ListOf) and isinstance(value, list):
        return [
            texts_as_written(schema.item, item, written, (*path, index))
            for index, item in enumerate(value)
        ]
    if isinstance(schema, SubConfig) and isinstance(value, dict):
        return {
            key: texts_as_written(schema.fields[key], item, written, (*path, key))
            if key in schema.fields
            else item
            for key, item in value.items()
        }
    return value


def validate(schema: Option, data: Any, language: str) -> tuple[Any, list[Issue]]:
    """Validate ``data`` against ``schema``: the cleaned value and the issues found."""
    ctx = Context(language)
    clean = schema.validate(data, (), ctx)
    return clean, ctx.issues


def document_problems(
    rel: str, document: YamlDocument, schema: Option, language: str, data: Any = None
) -> tuple[Any, list[Problem]]:
    """Validate a parsed YAML file: its clean value and ``rel:line: message`` problems.

    Keys written twice are problems too. ``data`` replaces ``document.data`` (a file whose
    empty document means an empty mapping passes ``{}``).
    """
    problems = [
        Problem(rel, line, message(language, "duplicate_key", field=".".join(map(str, key_path))))
        for key_path, line in document.duplicates
    ]
    clean, issues = validate(schema, document.data if data is None else data, language)
    problems += [Problem(rel, document.line_of(issue.path), issue.message) for issue in issues]
    return clean, problems


def parse_document(text: str, rel: str, language: str) -> YamlDocument | Problem:
    """The YAML document of ``text``, or the ``rel:line`` problem of its syntax error."""
    try:
        return load_yaml(text)
    except YamlSyntaxError as error:
        return Problem(rel, error.line, error.message(language))
