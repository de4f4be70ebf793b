"""Measure the screen on a labelled corpus: share of spam held, share of clean news held.

    .venv/bin/python scripts/bench_screen.py [--corpus tests/hostile/screen_corpus.yaml] [--show]

The corpus holds spam injections (the field reports' examples and typical stuffing) and clean
branch news, including the near misses: lottery, Macau economic and law-enforcement news and
posts linking to official sites. Each spam item is also measured in disguise: zero-width
characters, full-width letters, spaces between characters, Traditional forms, look-alike
characters, moved into ``alt``/``title`` attributes, and hidden by five CSS tricks. Targets:
at least 95 % of spam held, at most 2 % of clean items held.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import opencc
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tongxin.federation.model import Branch, Entry  # noqa: E402
from tongxin.federation.screen import (  # noqa: E402
    History,
    ScreenRules,
    screen_entries,
    screen_findings,
)

_TEXT_RE = re.compile(r">([^<]+)<")
_S2T = opencc.OpenCC("s2t")
_HOMOGLYPHS = str.maketrans({"彩": "釆", "马": "⻢", "o": "о", "a": "а", "e": "е", "c": "с"})


def _on_text(change: Callable[[str], str]) -> Callable[[str, str], tuple[str, str]]:
    def apply(title: str, html: str) -> tuple[str, str]:
        return change(title), _TEXT_RE.sub(lambda m: ">" + change(m.group(1)) + "<", html)

    return apply


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _hide(style: str) -> Callable[[str, str], tuple[str, str]]:
    return lambda title, html: ("工作动态", f"<p>工作动态。</p><div {style}>{html}</div>")


DISGUISES: dict[str, Callable[[str, str], tuple[str, str]]] = {
    "plain": lambda title, html: (title, html),
    "zero-width": _on_text(lambda t: "\u200b".join(t)),
    "full-width": _on_text(_fullwidth),
    "spaced": _on_text(lambda t: " ".join(t)),
    "traditional": _on_text(_S2T.convert),
    "homoglyphs": _on_text(lambda t: t.translate(_HOMOGLYPHS)),
    "alt": lambda title, html: (
        "图片",
        f"<p>图片</p><img src='https://x.example/1.jpg' "
        f"alt='{title} {re.sub('<[^>]+>', ' ', html)}'>",
    ),
    "transparent": _hide("style='color:transparent'"),
    "font-white": lambda t, h: ("工作动态", f"<p>工作动态。</p><font color='#ffffff'>{h}</font>"),
    "clip": _hide("style='position:absolute;clip:rect(0,0,0,0)'"),
    "transform": _hide("style='transform:scale(0)'"),
    "off-screen": _hide("style='position:absolute;left:-9999px'"),
}


def _entry(n: int, title: str, html: str) -> Entry:
    url = f"https://branch.example/news/{n}/"
    return Entry(entry_id=url, branch_id="b", url=url, title=title, content_html=html)


def measure(corpus: Path, show: bool = False) -> dict[str, float]:
    data = yaml.safe_load(corpus.read_text("utf-8"))
    rules = ScreenRules.load()
    history = History()
    spam_held = spam_total = 0
    missed: list[str] = []
    for n, item in enumerate(data["spam"]):
        for name, disguise in DISGUISES.items():
            if name == "alt" and ("<a " in item["html"] or "<img" in item["html"]):
                continue  # its spam is in attributes already
            title, html = disguise(item["title"], item["html"])
            spam_total += 1
            if screen_findings(_entry(n, title, html), None, history, rules):
                spam_held += 1
            else:
                missed.append(f"{name}: {title} | {html[:80]}")
    clean_held: list[str] = []
    for n, item in enumerate(data["clean"]):
        found = screen_findings(_entry(1000 + n, item["title"], item["html"]), None, history, rules)
        if found:
            clean_held.append(f"{item['title']}: {found[0].reason}")
    split_held, run_clean_held = _measure_runs(data, rules, missed)
    split_total = len(data.get("split") or ())
    figures = {
        "spam_items": spam_total,
        "spam_held_pct": round(100 * spam_held / spam_total, 1),
        "clean_items": len(data["clean"]),
        "clean_held_pct": round(100 * len(clean_held) / len(data["clean"]), 1),
        "split_attacks": split_total,
        "split_held_pct": round(100 * split_held / max(split_total, 1), 1),
        # every clean item of the corpus as new entries of ONE run (the spread rule's worst
        # case: a run of real news brings a handful)
        "clean_in_one_run_held": len(run_clean_held),
    }
    clean_held += [f"(one run) {title}" for title in run_clean_held]
    if show:
        for line in missed:
            print("MISSED", line)
        for line in clean_held:
            print("HELD  ", line)
    return figures


def _words(path: Path) -> list[str]:
    text = path.read_text("utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        return [line.strip() for line in text.splitlines() if line.strip()]
    if isinstance(data, dict):
        return [str(w) for words in data.values() if isinstance(words, list) for w in words]
    return [str(w) for w in data]


def measure_wordlist(path: Path, show: bool = False) -> dict[str, float]:
    """Share of stuffing lines made of an outside list's words that the screen holds (the
    list is the outside author's idea of bad words, not ours: political names and
    profanity are not the spam the screen is for, so this measures vocabulary reach)."""
    words = _words(path)
    rules, history = ScreenRules.load(), History()
    held = 0
    for n, word in enumerate(words):
        line = " ".join([word, *words[n + 1 : n + 3]])
        html = f"<p>社区开展垃圾分类宣传活动。</p><p>{line}</p>"
        if screen_findings(_entry(n, "工作动态", html), None, history, rules):
            held += 1
        elif show:
            print("MISSED", line)
    return {
        "wordlist": str(path),
        "lines": len(words),
        "held_pct": round(100 * held / max(len(words), 1), 1),
    }


class _Published:
    """A branch's history as the store gives it: 20 published entries."""

    def entries(self, **_: object) -> list[Entry]:
        return [_entry(5000 + n, "旧闻", "<p>支部旧闻。</p>") for n in range(20)]


def _run(items: list[tuple[str, str]]) -> list[Entry]:
    entries = [_entry(2000 + n, title, html) for n, (title, html) in enumerate(items)]
    branch = Branch("b", "B", "https://branch.example/feed.xml")
    return screen_entries(entries, branch, _Published(), ScreenRules.load())


def _measure_runs(data: dict, rules: ScreenRules, missed: list[str]) -> tuple[int, list[str]]:
    """Split attacks held (each as one run beside three clean entries), and the clean items
    held when all of them arrive in one run."""
    clean = [(item["title"], item["html"]) for item in data["clean"]]
    held = 0
    for attack in data.get("split") or ():
        pieces = [(piece["title"], piece["html"]) for piece in attack["entries"]]
        screened = _run(pieces + clean[:3])
        if all(entry.quarantine_reason for entry in screened[: len(pieces)]):
            held += 1
        else:
            missed.append(f"split: {attack['name']}")
        if any(entry.quarantine_reason for entry in screened[len(pieces) :]):
            missed.append(f"split: {attack['name']} held a clean entry beside it")
    return held, [entry.title for entry in _run(clean) if entry.quarantine_reason]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests/hostile/screen_corpus.yaml")
    parser.add_argument("--show", action="store_true", help="print the misses and false holds")
    parser.add_argument(
        "--wordlist",
        type=Path,
        help="an outside keyword list (JSON list, JSON object of lists, or one word a line): "
        "each word, with the two after it, is injected as a stuffing line into a clean article",
    )
    args = parser.parse_args()
    if args.wordlist:
        print(measure_wordlist(args.wordlist, args.show))
        return 0
    figures = measure(args.corpus, args.show)
    print(figures)
    ok = figures["spam_held_pct"] >= 95 and figures["clean_held_pct"] <= 2
    ok = ok and figures["split_held_pct"] >= 95 and not figures["clean_in_one_run_held"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
