"""Screen new entries for injected spam before they are published.

Hacked branch sites get stuffed with gambling and pornography keywords, hidden links and long
keyword runs. Sanitising makes such an entry harmless to the reader's browser, but publishing it
would still amplify the intruder. So every *new* (or changed) entry is checked against rules
declared as data (``screen_rules.yaml``, overridable per portal under the registry's ``screen:``
key); an entry that trips one gets a ``quarantine_reason`` and the store holds it back until an
operator releases or rejects it (:mod:`federation.quarantine`).

The rules, each named in the reason it produces (``screen_rules.yaml`` explains each):
``terms`` (weighted vocabularies and brand patterns on normalised text, :mod:`.screen_text`;
a term beside a context word does not count), ``keyword_run`` (:mod:`.screen_keywords`),
``hidden_text`` (in the RAW HTML, before the sanitiser strips styles, :mod:`.screen_html`),
``new_domains`` (:mod:`.screen_links`), ``update`` and ``spread`` (:mod:`.screen_run`).

Pure functions over plain data, plus one read of the store per branch for its history.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from tongxin.config.options import (
    document_problems,
    parse_document,
    texts_as_written,
    validate,
)
from tongxin.config.screen import (
    LEVELS,
    RULE_NAMES,
    SCREEN_OVERRIDES,
    SCREEN_RULES,
    merge_rules,
)
from tongxin.i18n import translate
from tongxin.problems import Problem

from .model import Branch, Entry, Registry
from .screen_html import BREAK, HtmlFacts, read_html
from .screen_keywords import longest_keyword_run
from .screen_links import History, ScreenStore, branch_history, is_trusted, site_domain
from .screen_run import RunItem, added_domains, bare_number, spread_findings
from .screen_text import (
    HAN_RE,
    SYLLABLE_GAP,
    blank_exempt,
    find_patterns,
    normalise,
    pattern_list,
    term_key,
)

__all__ = [
    "BREAK",
    "RULE_NAMES",
    "Finding",
    "History",
    "HtmlFacts",
    "ScreenRules",
    "ScreenRulesError",
    "read_html",
    "rule_label",
    "rules_for_registry",
    "screen_entries",
    "screen_entry",
    "screen_findings",
    "site_domain",
]

DEFAULT_RULES_PATH = Path(__file__).with_name("screen_rules.yaml")
#: A pinyin term counts with a Chinese character this near (characters either side).
PINYIN_WINDOW = 6
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
    """Screening rules (defaults or a registry's ``screen:`` override) that cannot be used;
    ``problems`` say where (``path:line: message``, or the message alone for a mapping)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


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
    link_list_min: int = 5
    update_new_domains: int = 2
    spread_entries: int = 3
    spread_threshold: int = 3
    spread_history: int = 1
    trusted_domains: tuple[str, ...] = ()
    #: Language of the reasons written (the portal's language).
    language: str = "zh-CN"
    #: ``homoglyphs``, ``patterns`` and ``exempt`` as written (read by :mod:`.screen_text`)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        *,
        language: str = "zh-CN",
        defaults_path: Path = DEFAULT_RULES_PATH,
    ) -> ScreenRules:
        """The default rules file with ``overrides`` (a registry's ``screen:`` mapping) applied."""
        return cls.from_mapping(
            _read_rules_file(defaults_path, language), overrides, language=language
        )

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        overrides: Mapping[str, Any] | None = None,
        *,
        language: str = "zh-CN",
    ) -> ScreenRules:
        """Rules from ``data`` (the defaults' keys) with ``overrides`` applied, both validated
        against :data:`tongxin.config.screen.SCREEN_RULES`."""
        problems: list[str] = []
        for schema, mapping in ((SCREEN_RULES, data), (SCREEN_OVERRIDES, overrides or {})):
            problems += [issue.message for issue in validate(schema, mapping, language)[1]]
        if problems:
            raise ScreenRulesError(problems)
        merged = merge_rules(dict(data), dict(overrides or {}))
        weights = {**dict(zip(LEVELS, (3, 2, 1), strict=True)), **(merged.get("weights") or {})}
        allowed = {str(word) for word in merged.get("allow") or ()}
        terms = {
            str(category): {
                str(word): int(weights[level])
                for level, words in levels.items()
                for word in words or ()
                if str(word) not in allowed
            }
            for category, levels in (merged.get("terms") or {}).items()
        }
        rules = set(merged.get("rules", RULE_NAMES)) - set(merged.get("disable") or ())
        return cls(
            rules=frozenset(rules),
            terms=terms,
            context_words=tuple(str(w) for w in merged.get("context_words") or ()),
            trusted_domains=tuple(
                str(d).lower().strip(".") for d in merged.get("trusted_domains") or ()
            ),
            language=language,
            extra={**{k: merged.get(k) for k in _EXTRA}, "weights": weights},
            **{name: merged[name] for name in _NUMBERS if name in merged},
        )

    @cached_property
    def _term_pattern(self) -> re.Pattern[str] | None:
        words = {word for bucket in self.terms.values() for word in bucket}
        if not words:
            return None
        # Longest first, so 网上赌博 wins over 赌博 at the same place (matches never overlap).
        parts = []
        for word in sorted(words, key=lambda w: (-len(w), w)):
            escaped = re.escape(word)
            if word.isascii():
                # Pinyin written as syllables ("bo cai"): any separator, or none, between them.
                escaped = escaped.replace(r"\ ", SYLLABLE_GAP)
                escaped = rf"\b{escaped}\b"
            parts.append(escaped)
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
                index.setdefault(term_key(word), []).append((category, weight))
        return index

    @cached_property
    def _pinyin_keys(self) -> frozenset[str]:
        """Terms written as pinyin syllables (``bo cai``), by :func:`term_key`."""
        words = {word for bucket in self.terms.values() for word in bucket}
        return frozenset(term_key(w) for w in words if w.isascii() and " " in w.strip())

    @cached_property
    def _context_pattern(self) -> re.Pattern[str] | None:
        if not self.context_words:
            return None
        return re.compile("|".join(re.escape(w) for w in self.context_words), re.IGNORECASE)


_EXTRA = ("homoglyphs", "homophones", "patterns", "exempt", "brands")


def normalise_for(text: str, rules: ScreenRules) -> str:
    """``text`` normalised with the rules' look-alike and homophone tables."""
    return normalise(text, rules.extra.get("homoglyphs"), rules.extra.get("homophones"))


#: The rules' numeric settings, taken as written (the schema checked them).
_NUMBERS = (
    "threshold", "context_window", "context_weight", "run_min_tokens", "run_token_max_cjk",
    "run_token_max_latin", "hidden_min_chars", "tiny_font_px", "offscreen_px", "grace_entries",
    "new_domain_limit", "new_link_limit", "link_list_min", "update_new_domains",
    "spread_entries", "spread_threshold", "spread_history",
)  # fmt: skip


def _read_rules_file(path: Path, language: str) -> dict[str, Any]:
    """The rules file's mapping; its problems as ``path:line: message``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = Problem(
            str(path), 1, translate(language, "config.screen.unreadable", error=error)
        )
        raise ScreenRulesError([str(problem)]) from error
    document = parse_document(text, str(path), language)
    if isinstance(document, Problem):
        raise ScreenRulesError([str(document)])
    data = texts_as_written(SCREEN_RULES, document.data, document.plain)  # terms: [666]
    data = data if data is not None else {}
    _, problems = document_problems(str(path), document, SCREEN_RULES, language, data)
    if problems:
        raise ScreenRulesError([str(problem) for problem in sorted(problems)])
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
            overrides = raw["screen"]  # load_registry validated it
    return ScreenRules.load(overrides, language=registry.language)


# --------------------------------------------------------------------------- the rules


def _t(language: str, message: str, /, **values: Any) -> str:
    return translate(language, f"screen.{message}", **values)


def _quote(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= EVIDENCE_LIMIT else text[: EVIDENCE_LIMIT - 1] + "…"


def term_scores(text: str, rules: ScreenRules) -> dict[str, dict[str, int]]:
    """Category → matched term (or brand pattern) → its weight in ``text``, context applied:
    what the term rule sums against ``threshold`` (and the run rules across entries)."""
    pattern = rules._term_pattern
    if pattern is None:
        return {}
    context = rules._context_pattern
    extra = rules.extra
    text = blank_exempt(normalise_for(text, rules), extra.get("exempt") or ())
    found = find_patterns(text, pattern_list(extra.get("patterns"), extra.get("weights", {})))
    for match in pattern.finditer(text):
        word = match.group(0)
        weight_in_context = None
        if context is not None:
            window = rules.context_window
            around = text[max(0, match.start() - window) : match.end() + window]
            if context.search(around):
                weight_in_context = rules.context_weight
        key = term_key(word)
        if key in rules._pinyin_keys and not HAN_RE.search(
            text[max(0, match.start() - PINYIN_WINDOW) : match.end() + PINYIN_WINDOW]
        ):
            continue  # pinyin in English prose is a name ("Professor Bo Cai"), not a disguise
        for category, weight in rules._term_index.get(key, ()):
            score = weight if weight_in_context is None else min(weight, weight_in_context)
            bucket = found.setdefault(category, {})
            bucket[word] = max(bucket.get(word, 0), score)
    return found


def _find_terms(text: str, rules: ScreenRules) -> Finding | None:
    for category, bucket in term_scores(text, rules).items():
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


def _find_keyword_run(text: str, rules: ScreenRules) -> Finding | None:
    best = longest_keyword_run(text, rules)
    if not best:
        return None
    sample = _quote(" ".join(best[:8]))
    reason = _t(rules.language, "keyword_run", count=len(best), sample=sample)
    return Finding("keyword_run", reason, sample)


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


def _find_new_domains(
    links: Iterable[str], entry_url: str, history: History, rules: ScreenRules
) -> Finding | None:
    # Too little history: only a link list (link_list_min untrusted domains) is flagged.
    young = history.published_count < rules.grace_entries
    own = site_domain(entry_url) if entry_url else ""
    new_links = []
    for link in links:
        domain = site_domain(link)
        if (
            not domain
            or domain == own
            or domain in history.domains
            or is_trusted(link, rules.trusted_domains)
        ):
            continue
        new_links.append(domain)
    distinct = sorted(set(new_links))
    limit = rules.link_list_min if young else rules.new_domain_limit
    if len(distinct) >= limit or (not young and len(new_links) >= rules.new_link_limit):
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


def _read(entry: Entry, raw: Entry | None, rules: ScreenRules) -> tuple[Entry, list[HtmlFacts]]:
    source = raw or entry
    base = source.url or entry.url
    return source, [
        read_html(source.summary_html, rules, base),
        read_html(source.content_html, rules, base),
    ]


def _terms_text(source: Entry, facts: list[HtmlFacts]) -> str:
    return BREAK.join(
        [source.title, source.author, " ".join(source.tags)]
        + [BREAK.join([f.text, f.hidden_text, " ".join(f.attributes)]) for f in facts]
    )


def screen_findings(
    entry: Entry, raw: Entry | None, history: History, rules: ScreenRules
) -> list[Finding]:
    """Every rule ``entry`` trips (empty: publish it); ``raw`` is the entry before sanitising."""
    source, facts = _read(entry, raw, rules)
    return _findings(entry, source, facts, history, rules)


def _findings(
    entry: Entry, source: Entry, facts: list[HtmlFacts], history: History, rules: ScreenRules
) -> list[Finding]:
    reasons: list[Finding] = []
    if "terms" in rules.rules:
        reason = _find_terms(_terms_text(source, facts), rules)
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
    fields = ("title", "summary_html", "content_html", "url")
    return any(getattr(entry, name) != getattr(stored, name) for name in fields)


def _unrelated(links: Iterable[str], entry_url: str, rules: ScreenRules) -> set[str]:
    """Registrable domains of ``links`` but the entry's own and the trusted ones."""
    own = site_domain(entry_url) if entry_url else ""
    return {
        site_domain(link)
        for link in links
        if site_domain(link) not in ("", own) and not is_trusted(link, rules.trusted_domains)
    }


def _find_update(
    entry: Entry, facts: list[HtmlFacts], stored: Entry, history: History, rules: ScreenRules
) -> Finding | None:
    """The ``update`` rule: links an edit adds to domains never linked to before."""
    before = read_html(stored.summary_html, rules, stored.url).links
    before += read_html(stored.content_html, rules, stored.url).links
    now = _unrelated([link for f in facts for link in f.links], entry.url, rules)
    added = added_domains(now, (site_domain(link) for link in before), history.domains)
    if len(added) < rules.update_new_domains:
        return None
    evidence = "、".join(added[:4])
    return Finding(
        "update", _t(rules.language, "update", count=len(added), domains=evidence), evidence
    )


def _run_item(
    entry: Entry, source: Entry, facts: list[HtmlFacts], history: History, rules: ScreenRules
) -> RunItem:
    text = _terms_text(source, facts)
    links = [link for f in facts for link in f.links]
    # News about gambling names its context (police, regulators, revenue) somewhere in the
    # entry; a piece of a split injection does not. Only the latter adds to a run's terms.
    context = rules._context_pattern
    in_context = context is not None and context.search(normalise_for(text, rules)) is not None
    return RunItem(
        entry.entry_id,
        {} if in_context else term_scores(text, rules),
        _unrelated(links, entry.url, rules) - history.domains,
        bare_number(normalise_for(BREAK.join([source.title] + [f.text for f in facts]), rules)),
    )


def _hold(entry: Entry, findings: list[Finding]) -> None:
    if findings:
        entry.quarantine_reason = "；".join(f.reason for f in findings)
        entry.quarantine_rule = ",".join(f.rule for f in findings)
    else:
        entry.quarantine_reason = entry.quarantine_rule = None


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
    store's). A changed entry is also judged as a change (``update``), and the run's clean
    new or changed entries together (``spread``, :mod:`.screen_run`). The entries are updated
    in place and also returned, for chaining.
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
    run: list[RunItem] = []
    # A first fetch (no history: every entry is new) is not judged as a run, nor read twice.
    spread = "spread" in rules.rules and history.published_count >= rules.spread_history
    for entry in entries:
        stored = history.stored.get(entry.entry_id)
        if stored is not None and not _changed(entry, stored):
            entry.quarantine_reason = stored.quarantine_reason
            entry.quarantine_rule = stored.quarantine_rule
            continue
        source, facts = _read(entry, raw_by_id.get(entry.entry_id), rules)
        findings = _findings(entry, source, facts, history, rules)
        if stored is not None and not findings and "update" in rules.rules:
            finding = _find_update(entry, facts, stored, history, rules)
            findings += [finding] if finding else []
        _hold(entry, findings)
        if not findings and spread:
            run.append(_run_item(entry, source, facts, history, rules))
    if len(run) >= 2:
        _hold_spread(entries, run, rules)
    return entries


def _hold_spread(entries: list[Entry], run: list[RunItem], rules: ScreenRules) -> None:
    brands = tuple(str(b) for b in rules.extra.get("brands") or ())
    spread = spread_findings(run, rules, brands)
    for entry in entries:
        if entry.entry_id in spread:
            kind, evidence = spread[entry.entry_id]
            reason = _t(rules.language, "spread", count=len(spread), evidence=evidence)
            _hold(entry, [Finding("spread", reason, evidence)])


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
