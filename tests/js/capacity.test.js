// Refs have no capacity: 5,000 entries of one day and branch (past the 1,458 hashes of a
// (day, key)) and 5,000 undated ones are all found, each by its own word.
const test = require("node:test");
const assert = require("node:assert");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { python } = require("./helpers.js");
const tokenizer = require("../../theme/static/js/tokenizer.js");
const { createSearcher } = require("../../theme/static/js/search.js");

const COUNT = 5000;

function word(i) {
  let letters = "";
  for (;;) {
    letters = "abcdefghijklmnopqrstuvwxyz"[i % 26] + letters;
    i = Math.floor(i / 26);
    if (!i) return "w" + letters + "0"; // a digit: the stemmer joins none of them
  }
}

test("every one of 5,000 entries of one day and 5,000 undated is found", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tongxin-one-day-"));
  execFileSync(python(), [path.join(__dirname, "fixture_one_day.py"), out, String(COUNT)]);
  const dir = path.join(out, "search");
  const searcher = createSearcher({
    tokenizer,
    fetchJson: async (p) => JSON.parse(fs.readFileSync(path.join(dir, p), "utf8")),
  });
  const manifest = await searcher.init();
  assert.strictEqual(manifest.docs, 2 * COUNT);
  const refs = new Set();
  let suffixed = 0;
  for (let i = 0; i < 2 * COUNT; i++) {
    const r = await searcher.search(word(i));
    assert.strictEqual(r.hits.length, 1, word(i));
    const e = await searcher.entry(r.hits[0].ref);
    assert.strictEqual(e.url, i < COUNT ? `/d/${i}/` : `/u/${i - COUNT}/`);
    refs.add(e.ref);
    if (e.ref.includes(".")) suffixed += 1;
  }
  assert.strictEqual(refs.size, 2 * COUNT);
  assert.ok(suffixed > 1000, "most of one day's hashes are shared: suffixes are used");
  const dated = await searcher.search("党建", { year: "2026" });
  assert.strictEqual(dated.hits.length, COUNT);
});
