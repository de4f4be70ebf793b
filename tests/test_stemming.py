"""English words are stemmed by lunr's Porter stemmer at index time (lunr.py, in
``tongxin.tokenizer.stem``) and at query time (lunr.js's ``lunr.stemmer``, in
``theme/static/js/tokenizer.js``): the two must give the same stem for every word, or a
query would miss what the index holds. Checked over lunr.js's own stemming vocabulary and
the English words of a pinned package's source (pelican), not words we chose."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pelican
import pytest

from tongxin.tokenizer import stem, tokenize

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"


def vocabulary() -> list[str]:
    words = set(json.loads((NODE_MODULES / "lunr/test/fixtures/stemming_vocab.json").read_text()))
    for path in sorted(Path(pelican.__file__).parent.rglob("*")):
        if path.suffix in (".py", ".rst", ".md", ".html", ".txt"):
            text = path.read_text("utf-8", "replace")
            words.update(w.lower() for w in re.findall(r"\b[A-Za-z]{2,}\b", text))
    return sorted(words)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed for lunr.js")
def test_python_and_javascript_stem_every_word_alike():
    words = vocabulary()
    assert len(words) > 2500
    script = (
        "const t = require('./theme/static/js/tokenizer.js');"
        "const ws = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(ws.map((w) => t.stem(w))));"
    )
    result = subprocess.run(
        ["node", "-e", script],
        cwd=ROOT,
        input=json.dumps(words),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    js = json.loads(result.stdout)
    differ = [(w, s, stem(w)) for w, s in zip(words, js, strict=True) if s != stem(w)]
    assert differ == []
    # and stemming does something: plurals and inflections meet
    assert stem("volunteers") == stem("volunteer") and stem("cleaned") == stem("clean")


def test_only_words_of_ascii_letters_are_stemmed():
    assert tokenize("Volunteers 志愿者们 cafés covid19 C++") == [
        "volunt",
        "志愿",
        "愿者",
        "者们",
        "cafés",
        "covid19",
        "c",
        "c++",
    ]
