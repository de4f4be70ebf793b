"""Screen new entries for injected spam before they are published.

Hacked branch sites get stuffed with gambling and pornography keywords, hidden links and long
keyword runs. Sanitising makes such an entry harmless to the reader's browser, but publishing it
would still amplify the intruder. So every *new* (or changed) entry is checked against rules
declared as data (``screen_rules.yaml``, overridable per portal under the registry's ``screen:``
key); an entry that trips one gets a ``quarantine_reason`` and the store holds it back until an
operator releases or rejects it (:mod:`federation.quarantine`).

The rules, each named in the reason it produces:

``terms``
    weighted gambling / pornography / "在线观看" stuffing vocabularies; a term next to an
    anti-vice context word (打击、防范 …) does not count, so campaign news stays clean.
``keyword_run``
    a long run of short tokens separated by spaces, commas or bars, with no sentence around it.
``hidden_text``
    text or links a reader cannot see (``display:none``, tiny or background-coloured text,
    off-screen positioning …) in the RAW HTML; the sanitiser strips styles, so this check needs
    the entry as fetched, before sanitising.
``new_domains``
    links to several domains the branch never linked to before (skipped while the branch has
    too little history to compare with).

Pure functions over plain data, plus one read of the store per branch for its history.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import yaml
from lxml import etree

from tongxin.i18n import translate

from .model import Branch, Entry, Registry

DEFAULT_RULES_PATH = Path(__file__).with_name("screen_rules.yaml")
RULE_NAMES = ("terms", "keyword_run", "hidden_text", "new_domains")
#: Raw HTML beyond this is not looked at (the sanitiser cuts there too).
HTML_LIMIT = 512 * 1024
#: Evidence quoted in a reason is cut to this many characters.
EVIDENCE_LIMIT = 40


@dataclass(frozen=True)
class Finding:
    """One rule an entry tripped: ``rule`` names it (``terms:<category>``, ``keyword_run``,
    ``hidden_text``, ``hidden_links``, ``new_domains``) and is safe to show the public;
    ``evidence`` quotes what was found (spam words, links) and is for the operator only;
    ``reason`` is the operator's sentence, evidence included."""

    rule: str
    reason: str
    evidence: str


class ScreenRulesError(ValueError):
    """Screening rules (defaults or a registry's ``screen:`` override) that cannot be used."""


class ScreenStore(Protocol):
    """What screening reads from :class:`federation.store.Store` (tests may fake it)."""

    def entries(
        self, *, branch_id: str | None = None, include_quarantined: bool = False
    ) -> list[Entry]: ...


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class ScreenRules:
    """Screening configuration; build with :meth:`load` (defaults merged with overrides)."""

    rules: frozenset[str] = frozenset(RULE_NAMES)
    threshold: int = 3
    terms: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    context_words: tuple[str, ...] = ()
    context_window: int = 12
    context_weight: int = 0
    run_min_tokens: int = 16
    run_token_max_cjk: int = 8
    run_token_max_latin: int = 24
    hidden_min_chars: int = 12
    tiny_font_px: float = 4.0
    offscreen_px: float = 500.0
    grace_entries: int = 10
    new_domain_limit: int = 3
    new_link_limit: int = 6
    trusted_domains: tuple[str, ...] = ()
    #: Language of the reasons written (the portal's language).
    language: str = "zh-CN"

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        *,
        language: str = "zh-CN",
        defaults_path: Path = DEFAULT_RULES_PATH,
    ) -> ScreenRules:
        """The default rules file with ``overrides`` (a registry's ``screen:`` mapping) applied."""
        data = yaml.safe_load(defaults_path.read_text(encoding="utf-8")) or {}
        return cls.from_mapping(data, overrides, language=language)

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        overrides: Mapping[str, Any] | None = None,
        *,
        language: str = "zh-CN",
    ) -> ScreenRules:
        merged = _merge(dict(data), dict(overrides or {}), language)
        weights = merged.get("weights") or {"strong": 3, "medium": 2, "weak": 1}
        terms: dict[str, dict[str, int]] = {}
        for category, levels in (merged.get("terms") or {}).items():
            bucket = terms.setdefault(str(category), {})
            for level, words in (levels or {}).items():
                if level not in weights:
                    raise ScreenRulesError(_t(language, "errors.level", level=level))
                for word in words or ():
                    bucket[str(word)] = int(weights[level])
        allowed = {str(word) for word in merged.get("allow") or ()}
        for bucket in terms.values():
            for word in allowed:
                bucket.pop(word, None)
        rules = set(merged.get("rules", RULE_NAMES))
        unknown = (rules | set(merged.get("disable") or ())) - set(RULE_NAMES)
        rules -= set(merged.get("disable") or ())
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ScreenRulesError(_t(language, "errors.rule", rule=names, known=RULE_NAMES))
        try:
            return cls(
                rules=frozenset(rules),
                threshold=int(merged.get("threshold", 3)),
                terms=terms,
                context_words=tuple(str(w) for w in merged.get("context_words") or ()),
                context_window=int(merged.get("context_window", 12)),
                context_weight=int(merged.get("context_weight", 0)),
                run_min_tokens=int(merged.get("run_min_tokens", 16)),
                run_token_max_cjk=int(merged.get("run_token_max_cjk", 8)),
                run_token_max_latin=int(merged.get("run_token_max_latin", 24)),
                hidden_min_chars=int(merged.get("hidden_min_chars", 12)),
                tiny_font_px=float(merged.get("tiny_font_px", 4)),
                offscreen_px=float(merged.get("offscreen_px", 500)),
                grace_entries=int(merged.get("grace_entries", 10)),
                new_domain_limit=int(merged.get("new_domain_limit", 3)),
                new_link_limit=int(merged.get("new_link_limit", 6)),
                trusted_domains=tuple(
                    str(d).lower().strip(".") for d in merged.get("trusted_domains") or ()
                ),
                language=language,
            )
        except (TypeError, ValueError) as error:
            raise ScreenRulesError(_t(language, "errors.value", error=error)) from error

    @cached_property
    def _term_pattern(self) -> re.Pattern[str] | None:
        words = {word for bucket in self.terms.values() for word in bucket}
        if not words:
            return None
        # Longest first, so 网上赌博 wins over 赌博 at the same place (matches never overlap).
        parts = []
        for word in sorted(words, key=lambda w: (-len(w), w)):
            escaped = re.escape(word)
            parts.append(rf"\b{escaped}\b" if word.isascii() else escaped)
        # A lookahead on the possible first (two) characters lets the engine reject almost
        # every position with one set test instead of trying each of ~100 alternatives there
        # (8x faster on prose). It only restates what every alternative already requires, and
        # the sets are matched case-insensitively like the words, so the matches are the same.
        firsts = "".join(sorted({re.escape(w[0]) for w in words}))
        guard = f"[{firsts}]"
        if all(len(w) >= 2 for w in words):
            guard += "[" + "".join(sorted({re.escape(w[1]) for w in words})) + "]"
        return re.compile(f"(?={guard})(?:{'|'.join(parts)})", re.IGNORECASE)

    @cached_property
    def _term_index(self) -> dict[str, list[tuple[str, int]]]:
        index: dict[str, list[tuple[str, int]]] = {}
        for category, bucket in self.terms.items():
            for word, weight in bucket.items():
                index.setdefault(word.lower(), []).append((category, weight))
        return index

    @cached_property
    def _context_pattern(self) -> re.Pattern[str] | None:
        if not self.context_words:
            return None
        return re.compile("|".join(re.escape(w) for w in self.context_words), re.IGNORECASE)


#: Override keys whose lists extend the defaults instead of replacing them.
_EXTENDING = ("context_words", "trusted_domains", "allow", "disable")
_KNOWN_KEYS = {
    "rules", "disable", "allow", "threshold", "weights", "terms", "context_words",
    "context_window", "context_weight", "run_min_tokens", "run_token_max_cjk",
    "run_token_max_latin", "hidden_min_chars", "tiny_font_px", "offscreen_px", "grace_entries",
    "new_domain_limit", "new_link_limit", "trusted_domains",
}  # fmt: skip


def _merge(data: dict[str, Any], overrides: dict[str, Any], language: str) -> dict[str, Any]:
    for source in (data, overrides):
        unknown = set(source) - _KNOWN_KEYS
        if unknown:
            raise ScreenRulesError(
                _t(language, "errors.key", field=", ".join(sorted(map(str, unknown))))
            )
    for key, value in overrides.items():
        if key in _EXTENDING:
            if not isinstance(value, list):
                raise ScreenRulesError(_t(language, "errors.list", field=key))
            data[key] = list(data.get(key) or ()) + value
        elif key == "terms":
            if not isinstance(value, dict):
                raise ScreenRulesError(_t(language, "errors.mapping", field=key))
            terms = {c: {lv: list(ws or ()) for lv, ws in (lvs or {}).items()}
                     for c, lvs in (data.get("terms") or {}).items()}  # fmt: skip
            for category, levels in value.items():
                if not isinstance(levels, dict):
                    raise ScreenRulesError(
                        _t(language, "errors.mapping", field=f"terms.{category}")
                    )
                bucket = terms.setdefault(category, {})
                for level, words in levels.items():
                    bucket[level] = list(bucket.get(level) or ()) + list(words or ())
            data["terms"] = terms
        else:
            data[key] = value
    return data


#: libyaml's safe loader when PyYAML was built with it (ten times faster), else the pure one.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def rules_for_registry(registry: Registry) -> ScreenRules:
    """The rules for one portal: the defaults plus its registry's ``screen:`` mapping, if any.

    The registry YAML is read again here (rather than carried on :class:`Registry`) so the
    screening configuration stays this module's business.
    """
    overrides: Mapping[str, Any] | None = None
    if registry.path is not None and Path(registry.path).is_file():
        try:
            text = Path(registry.path).read_text(encoding="utf-8")
            # A registry of a thousand branches takes a quarter of a second to parse again,
            # before the fetch can start: only when it may hold a `screen:` key at all.
            raw = yaml.load(text, Loader=_YAML_LOADER) if "screen" in text else None
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            raw = None
        if isinstance(raw, dict) and raw.get("screen") is not None:
            if not isinstance(raw["screen"], dict):
                raise ScreenRulesError(_t(registry.language, "errors.mapping", field="screen"))
            overrides = raw["screen"]
    return ScreenRules.load(overrides, language=registry.language)


# --------------------------------------------------------------------------- HTML reading

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_INVISIBLE_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title"})
BREAK = "\n\u2029\n"  # a block boundary in extracted text; keyword runs never cross it


@dataclass
class HtmlFacts:
    """What one pass over a raw HTML fragment found."""

    text: str = ""
    links: list[str] = field(default_factory=list)
    hidden_text: str = ""
    hidden_links: list[str] = field(default_factory=list)
    hidden_how: list[str] = field(default_factory=list)


_FULL_HTML_RE = re.compile(r"^\s*<(?:html|!doctype)", re.I)
_PARSERS = threading.local()


def _parse_fragment(markup: str) -> etree._Element | None:
    """The fragment's elements under a new ``<div>``, as ``lxml.html.fragment_fromstring(...,
    create_parent="div")`` builds it, but with plain elements: lxml.html's element classes
    cost a class lookup per element, a third of the screen's time on ordinary entries."""
    parser = getattr(_PARSERS, "html", None)
    if parser is None:  # one per thread: an lxml parser is not to be shared between threads
        parser = _PARSERS.html = etree.HTMLParser()
    markup = markup[:HTML_LIMIT]
    if not _FULL_HTML_RE.match(markup):
        markup = f"<html><body>{markup}</body></html>"
    try:
        document = etree.fromstring(markup, parser)
    except (etree.ParserError, ValueError, TypeError):
        return None
    if document is None:
        return None
    root = etree.Element("div")
    for body in document.iterchildren("body"):
        if body.text and body.text.strip():
            root.text = body.text
        root.extend(body)
        break
    return root


def _declarations(style: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in style.split(";"):
        name, _, value = part.partition(":")
        name = name.strip().lower()
        if name and value:
            found[name] = re.sub(r"\s*!important\s*$", "", value.strip().lower())
    return found


_LENGTH_RE = re.compile(r"^(-?[0-9]*\.?[0-9]+)\s*(px|pt|em|rem|%|vw|vh|cm|mm|in)?$")
_WHITE = {"#fff", "#ffffff", "white", "rgb(255,255,255)", "rgba(255,255,255,1)", "#fefefe"}


def _length_px(value: str) -> float | None:
    """A CSS length in CSS pixels (em/rem/% against a 16px font); None when not a length."""
    match = _LENGTH_RE.match(value.strip())
    if not match:
        return None
    number = float(match.group(1))
    unit = match.group(2) or "px"
    scale = {"px": 1, "pt": 4 / 3, "em": 16, "rem": 16, "%": 0.16, "vw": 10, "vh": 7,
             "cm": 37.8, "mm": 3.78, "in": 96}  # fmt: skip
    return number * scale[unit]


def _colour(value: str) -> str:
    return re.sub(r"\s+", "", value.lower())


def _hiding(decls: Mapping[str, str], rules: ScreenRules, inherited_background: bool) -> str | None:
    """The CSS trick by which declarations ``decls`` hide their element, if any."""
    if decls.get("display", "").startswith("none"):
        return "display:none"
    if decls.get("visibility", "").split(" ")[0] in ("hidden", "collapse"):
        return "visibility:hidden"
    opacity = decls.get("opacity")
    if opacity is not None:
        try:
            if float(opacity.rstrip("%")) / (100 if opacity.endswith("%") else 1) < 0.1:
                return "opacity:0"
        except ValueError:
            pass
    size = decls.get("font-size")
    if size is not None:
        px = _length_px(size)
        if px is not None and px < rules.tiny_font_px:
            return f"font-size:{size}"
    overflow_hidden = decls.get("overflow", "").startswith("hidden")
    for name in ("height", "max-height", "width", "max-width"):
        px = _length_px(decls.get(name, "x"))
        if px is not None and px <= 0 and overflow_hidden:
            return f"{name}:0;overflow:hidden"
    for name in ("left", "top", "right", "text-indent", "margin-left", "margin-top"):
        px = _length_px(decls.get(name, "x"))
        if px is not None and px <= -rules.offscreen_px:
            return f"{name}:{decls[name]}"
    if "scale(0" in decls.get("transform", "").replace(" ", ""):
        return "transform:scale(0)"
    colour = decls.get("color")
    if colour:
        background = decls.get("background-color") or decls.get("background")
        if background and _colour(background).split(" ")[0] == _colour(colour):
            return f"color:{colour};background:{background}"
        if not background and not inherited_background and _colour(colour) in _WHITE:
            return f"color:{colour}"
    return None


_CSS_RULE_RE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR_RE = re.compile(r"^[a-z0-9]*([.#])([\w-]+)$", re.I)


def _hidden_selectors(root: etree._Element, rules: ScreenRules) -> dict[str, str]:
    """Classes (``.x``) and ids (``#x``) that a ``<style>`` block in the fragment hides."""
    hidden: dict[str, str] = {}
    for style in root.iter("style"):
        css = re.sub(r"/\*.*?\*/", "", style.text or "", flags=re.S)
        for selectors, body in _CSS_RULE_RE.findall(css[:HTML_LIMIT]):
            how = _hiding(_declarations(body), rules, inherited_background=True)
            if not how:
                continue
            for selector in selectors.split(","):
                match = _SIMPLE_SELECTOR_RE.match(selector.strip())
                if match:
                    hidden[match.group(1) + match.group(2)] = how
    return hidden


_NO_DECLS: dict[str, str] = {}


def read_html(markup: str, rules: ScreenRules, base_url: str = "") -> HtmlFacts:
    """Text (with block breaks), links, and hidden text of a raw HTML fragment."""
    if not markup:
        return HtmlFacts()
    if "<" not in markup and "&" not in markup:
        return HtmlFacts(text=markup)
    return _read_dom(markup, rules, base_url)


def _read_dom(markup: str, rules: ScreenRules, base_url: str = "") -> HtmlFacts:
    """:func:`read_html` by a walk over the parsed fragment (any markup)."""
    facts = HtmlFacts()
    root = _parse_fragment(markup)
    if root is None:
        facts.text = markup
        return facts
    by_selector = _hidden_selectors(root, rules)
    text: list[str] = []
    hidden: list[str] = []
    # Iterative walk (no recursion limit on hostile nesting). An "open" item visits an element;
    # its "close" item, pushed first so it pops after the children, ends a block and emits the
    # element's tail in the *parent's* visibility.
    stack: list[tuple[bool, Any, str | None, bool]] = [(True, root, None, False)]
    while stack:
        opening, node, hidden_by, background = stack.pop()
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if not opening:
            if tag in _BLOCK_TAGS:
                text.append(BREAK)
            if node.tail:
                (hidden if hidden_by else text).append(node.tail)
            continue
        stack.append((False, node, hidden_by, background))
        if not tag or tag in _INVISIBLE_TAGS:
            continue  # comments, scripts, styles: no visible text (their tail is handled)
        attrib = node.attrib
        # Most elements carry no attribute at all: nothing can hide them but their ancestors.
        decls = _declarations(attrib["style"]) if "style" in attrib else _NO_DECLS
        here = background or bool(decls.get("background-color") or decls.get("background"))
        how = hidden_by
        if how is None and attrib:
            if "hidden" in attrib:
                how = "hidden"
            elif decls:
                how = _hiding(decls, rules, background)
            if by_selector:
                for name in (attrib.get("class") or "").split():
                    how = how or by_selector.get("." + name)
                if attrib.get("id"):
                    how = how or by_selector.get("#" + attrib["id"])
            if how and how not in facts.hidden_how:
                facts.hidden_how.append(how)
        if tag in _BLOCK_TAGS:
            text.append(BREAK)
        if tag == "a" and node.get("href"):
            href = _absolute(node.get("href"), base_url)
            if href:
                facts.links.append(href)
                if how:
                    facts.hidden_links.append(href)
        if node.text:
            (hidden if how else text).append(node.text)
        for child in reversed(list(node)):
            stack.append((True, child, how, here))
    facts.text = "".join(text)
    if hidden:
        facts.hidden_text = re.sub(r"\s+", " ", "".join(hidden)).strip()
    return facts


# An absolute http(s) URL that urljoin and urlsplit would hand back unchanged with a host
# (the same test as parse._PLAIN_HTTP_RE): most links are, and urljoin is slow.
_PLAIN_HTTP_RE = re.compile(
    r"https?://[-A-Za-z0-9._~%!$&'()*+,;=]+(?::[0-9]*)?(?:/[^\x00-\x20?#;\\]*)?"
    r"(?:\?[^\x00-\x20#\\]+)?(?:#[^\x00-\x20\\]+)?"
)


def _absolute(href: str, base_url: str) -> str:
    href = href.strip()
    if _PLAIN_HTTP_RE.fullmatch(href) and "@" not in href and "[" not in href:
        return href
    try:
        url = urljoin(base_url, href.strip()) if base_url else href.strip()
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.hostname else ""


# --------------------------------------------------------------------------- domains


_SECOND_LEVEL = {"com", "net", "org", "gov", "edu", "ac", "co", "mil"}


@functools.lru_cache(maxsize=8192)
def site_domain(url_or_host: str) -> str:
    """The registrable part of a host: ``news.example.com.cn`` → ``example.com.cn``."""
    host = url_or_host
    if "/" in url_or_host:
        try:
            host = urlsplit(url_or_host).hostname or ""
        except ValueError:
            return ""
    host = host.lower().strip(".")
    if not host or re.fullmatch(r"[0-9.]+|\[?[0-9a-f:]+\]?", host):
        return host  # an IP address is its own domain
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_trusted(host_or_url: str, rules: ScreenRules) -> bool:
    host = host_or_url
    if "/" in host_or_url:
        try:
            host = urlsplit(host_or_url).hostname or ""
        except ValueError:
            return False
    host = host.lower().strip(".")
    return any(host == d or host.endswith("." + d) for d in rules.trusted_domains)


_HREF_RE = re.compile(r"""href=["'](https?://[^"'\s>]+)""", re.I)


@dataclass
class History:
    """What the store knows about one branch, as far as screening cares."""

    stored: dict[str, Entry] = field(default_factory=dict)
    domains: set[str] = field(default_factory=set)
    published_count: int = 0


def branch_history(branch: Branch, store: ScreenStore | None) -> History:
    """The branch's stored entries and every domain they (or it) ever linked to."""
    history = History()
    history.domains.add(site_domain(branch.feed))
    if store is None:
        return history
    for entry in store.entries(branch_id=branch.id, include_quarantined=True):
        history.stored[entry.entry_id] = entry
        if entry.quarantine_reason:
            continue  # a held entry's links are not history yet
        history.published_count += 1
        history.domains.add(site_domain(entry.url))
        for html_text in (entry.summary_html, entry.content_html):
            for href in _HREF_RE.findall(html_text or ""):
                history.domains.add(site_domain(href))
    history.domains.discard("")
    return history


# --------------------------------------------------------------------------- the rules


def _t(language: str, message: str, /, **values: Any) -> str:
    return translate(language, f"screen.{message}", **values)


def _quote(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= EVIDENCE_LIMIT else text[: EVIDENCE_LIMIT - 1] + "…"


def check_terms(text: str, rules: ScreenRules) -> str | None:
    """The reason when a vocabulary's distinct matched terms reach the threshold."""
    finding = _find_terms(text, rules)
    return finding.reason if finding else None


def _find_terms(text: str, rules: ScreenRules) -> Finding | None:
    pattern = rules._term_pattern
    if pattern is None:
        return None
    context = rules._context_pattern
    found: dict[str, dict[str, int]] = {}
    for match in pattern.finditer(text):
        word = match.group(0)
        weight_in_context = None
        if context is not None:
            window = rules.context_window
            around = text[max(0, match.start() - window) : match.end() + window]
            if context.search(around):
                weight_in_context = rules.context_weight
        for category, weight in rules._term_index.get(word.lower(), ()):
            score = weight if weight_in_context is None else min(weight, weight_in_context)
            bucket = found.setdefault(category, {})
            bucket[word] = max(bucket.get(word, 0), score)
    for category, bucket in found.items():
        if sum(bucket.values()) >= rules.threshold:
            words = [w for w, s in sorted(bucket.items(), key=lambda kv: -kv[1]) if s > 0]
            evidence = "、".join(words[:6])
            name = _category_name(rules.language, category)
            reason = _t(rules.language, "terms", category=name, words=evidence)
            return Finding(f"terms:{category}", reason, evidence)
    return None


def _category_name(language: str, category: str) -> str:
    name = _t(language, f"categories.{category}")
    return category if name == f"screen.categories.{category}" else name


_SENTENCE_END = re.compile(r"[。！？!?.…；;：:“”\"「」『』()（）《》]")
#: Explicit keyword separators (the Chinese ， and 、 are not: see screen_rules.yaml).
_MARKED_SPLIT = re.compile(r"\s*[,|｜/／·•]+\s*")
_SPACE_SPLIT = re.compile(r"[\s,|｜/／·•]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORDLIKE = re.compile(r"[^\W\d_]")


def _longest_run(tokens: list[str], rules: ScreenRules, *, cjk_only: bool) -> list[str]:
    best_start = best_len = run_len = 0
    stripped = [token.strip() for token in tokens]
    for i, token in enumerate(stripped):
        cjk = bool(_CJK.search(token))
        limit = rules.run_token_max_cjk if cjk else rules.run_token_max_latin
        ok = (
            bool(token)
            and len(token) <= limit
            and bool(_WORDLIKE.search(token))
            and not _SENTENCE_END.search(token)
            and (cjk or not cjk_only)
        )
        run_len = run_len + 1 if ok else 0
        if run_len > best_len:
            best_start, best_len = i + 1 - run_len, run_len
    return stripped[best_start : best_start + best_len]


def check_keyword_run(text: str, rules: ScreenRules) -> str | None:
    """The reason when ``text`` holds a long run of short, separator-joined keywords."""
    finding = _find_keyword_run(text, rules)
    return finding.reason if finding else None


def _find_keyword_run(text: str, rules: ScreenRules) -> Finding | None:
    """:func:`check_keyword_run`'s finding.

    Two readings of each block: tokens between explicit separators (``,`` ``|`` ``/``; a
    Latin token may hold spaces, "replica watches"), and Chinese tokens between spaces (which
    Chinese prose never puts between words; Latin prose does, so Latin never counts there).
    """
    # N non-empty tokens need N-1 separators between them: shorter blocks (most of them, the
    # breaks around block elements) cannot hold a run and are not split at all.
    shortest = 2 * rules.run_min_tokens - 3
    for block in text.split("\u2029"):
        if len(block) < shortest:
            continue
        spaced = _SPACE_SPLIT.split(block)
        if len(spaced) < rules.run_min_tokens:
            # Every separator of the first reading is also one of the second, so the first
            # cannot find more (non-empty) tokens either: prose blocks stop here.
            continue
        best = max(
            _longest_run(_MARKED_SPLIT.split(block), rules, cjk_only=False),
            _longest_run(spaced, rules, cjk_only=True),
            key=len,
        )
        if len(best) >= rules.run_min_tokens:
            sample = _quote(" ".join(best[:8]))
            reason = _t(rules.language, "keyword_run", count=len(best), sample=sample)
            return Finding("keyword_run", reason, sample)
    return None


def check_hidden(facts: HtmlFacts, rules: ScreenRules) -> str | None:
    finding = _find_hidden(facts, rules)
    return finding.reason if finding else None


def _find_hidden(facts: HtmlFacts, rules: ScreenRules) -> Finding | None:
    if not facts.hidden_links and len(facts.hidden_text) < rules.hidden_min_chars:
        return None
    how = ", ".join(facts.hidden_how[:3])
    if facts.hidden_links:
        sample = _quote(facts.hidden_links[0])
        count = len(facts.hidden_links)
        reason = _t(rules.language, "hidden_links", how=how, count=count, sample=sample)
        return Finding("hidden_links", reason, sample)
    sample = _quote(facts.hidden_text)
    return Finding("hidden_text", _t(rules.language, "hidden_text", how=how, sample=sample), sample)


def check_new_domains(
    links: Iterable[str], entry_url: str, history: History, rules: ScreenRules
) -> str | None:
    finding = _find_new_domains(links, entry_url, history, rules)
    return finding.reason if finding else None


def _find_new_domains(
    links: Iterable[str], entry_url: str, history: History, rules: ScreenRules
) -> Finding | None:
    if history.published_count < rules.grace_entries:
        return None  # too little history: a new, clean branch is not flagged
    own = site_domain(entry_url) if entry_url else ""
    new_links = []
    for link in links:
        domain = site_domain(link)
        if not domain or domain == own or domain in history.domains or is_trusted(link, rules):
            continue
        new_links.append(domain)
    distinct = sorted(set(new_links))
    if len(distinct) >= rules.new_domain_limit or len(new_links) >= rules.new_link_limit:
        evidence = "、".join(distinct[:4])
        reason = _t(
            rules.language, "new_domains", count=len(distinct), links=len(new_links),
            domains=evidence,
        )  # fmt: skip
        return Finding("new_domains", reason, evidence)
    return None


def screen_entry(
    entry: Entry, raw: Entry | None, history: History, rules: ScreenRules
) -> str | None:
    """Why ``entry`` should be held back, or None. ``raw`` is the entry before sanitising."""
    findings = screen_findings(entry, raw, history, rules)
    return "；".join(f.reason for f in findings) if findings else None


def screen_findings(
    entry: Entry, raw: Entry | None, history: History, rules: ScreenRules
) -> list[Finding]:
    """Every rule ``entry`` trips (empty: publish it); ``raw`` is the entry before sanitising."""
    source = raw or entry
    base = source.url or entry.url
    facts = [
        read_html(source.summary_html, rules, base),
        read_html(source.content_html, rules, base),
    ]
    reasons: list[Finding] = []
    if "terms" in rules.rules:
        text = BREAK.join(
            [source.title, source.author, " ".join(source.tags)]
            + [f.text + BREAK + f.hidden_text for f in facts]
        )
        reason = _find_terms(text, rules)
        if reason:
            reasons.append(reason)
    if "keyword_run" in rules.rules:
        text = BREAK.join([source.title] + [f.text + BREAK + f.hidden_text for f in facts])
        reason = _find_keyword_run(text, rules)
        if reason:
            reasons.append(reason)
    # Nothing hidden anywhere (nearly every entry): the rule has nothing to weigh.
    if "hidden_text" in rules.rules and any(f.hidden_text or f.hidden_links for f in facts):
        merged = HtmlFacts(
            hidden_text=" ".join(f.hidden_text for f in facts).strip(),
            hidden_links=[link for f in facts for link in f.hidden_links],
            hidden_how=[how for f in facts for how in f.hidden_how],
        )
        reason = _find_hidden(merged, rules)
        if reason:
            reasons.append(reason)
    if "new_domains" in rules.rules:
        links = [link for f in facts for link in f.links]
        reason = _find_new_domains(links, entry.url, history, rules)
        if reason:
            reasons.append(reason)
    return reasons


def _changed(entry: Entry, stored: Entry) -> bool:
    return (entry.title, entry.summary_html, entry.content_html, entry.url) != (
        stored.title,
        stored.summary_html,
        stored.content_html,
        stored.url,
    )


def screen_entries(
    entries: list[Entry],
    branch: Branch,
    store: ScreenStore | None,
    rules: ScreenRules,
    *,
    raw: Sequence[Entry] | Mapping[str, Entry] | None = None,
) -> list[Entry]:
    """Set ``quarantine_reason`` on every suspicious new or changed entry; return the list.

    ``entries`` are the sanitised entries about to be stored; ``raw`` the same entries as
    parsed, before sanitising (a sequence in the same order, or a mapping by ``entry_id``) —
    hidden-text tricks only show there. Entries the store already holds unchanged are not
    screened again: they keep the store's verdict (and any operator decision stays the
    store's). The entries are updated in place and also returned, for chaining.
    """
    if not entries:
        return entries
    if raw is None:
        raw_by_id: Mapping[str, Entry] = {}
    elif isinstance(raw, Mapping):
        raw_by_id = raw
    else:
        raw_by_id = {item.entry_id: item for item in raw}
    history = branch_history(branch, store)
    for entry in entries:
        stored = history.stored.get(entry.entry_id)
        if stored is not None and not _changed(entry, stored):
            entry.quarantine_reason = stored.quarantine_reason
            entry.quarantine_rule = stored.quarantine_rule
            continue
        findings = screen_findings(entry, raw_by_id.get(entry.entry_id), history, rules)
        if findings:
            entry.quarantine_reason = "；".join(f.reason for f in findings)
            entry.quarantine_rule = ",".join(f.rule for f in findings)
        else:
            entry.quarantine_reason = entry.quarantine_rule = None
    return entries


def rule_label(language: str, rules: str | None) -> str:
    """What the public may read about why entries are held: the rules' names (``rules`` as
    ``Entry.quarantine_rule`` holds them), never the evidence, or the health page would
    repeat the very spam words and links it reports."""
    labels: list[str] = []
    for rule in (rules or "").split(","):
        name, _, category = rule.strip().partition(":")
        if name not in RULE_NAMES and name != "hidden_links":
            continue
        label = _t(language, f"rules.{name}", category=_category_name(language, category))
        if label not in labels:
            labels.append(label)
    separator = "、" if language.startswith("zh") else ", "
    return separator.join(labels) or _t(language, "rules.unknown")


def screen_report(entries: Iterable[Entry], rules: ScreenRules) -> list[tuple[Entry, str]]:
    """``(entry, reason)`` for every entry that would be held with no history (for audits)."""
    history = History()
    flagged = []
    for entry in entries:
        reason = screen_entry(entry, None, history, rules)
        if reason:
            flagged.append((entry, reason))
    return flagged
