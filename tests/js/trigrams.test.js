// Extended bigrams: a query word asks for trigrams instead of its commonest bigrams, and finds
// exactly the entries that hold it (ground truth: substrings after folding, fixture_trigrams.py).
const test = require("node:test");
const assert = require("node:assert");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { python, loadT2s, searcherOver } = require("./helpers.js");
const tokenizer = require("../../theme/static/js/tokenizer.js");

const out = fs.mkdtempSync(path.join(os.tmpdir(), "tongxin-trigrams-"));
execFileSync(python(), [path.join(__dirname, "fixture_trigrams.py"), out]);
const dir = path.join(out, "search");
const QUERIES = JSON.parse(fs.readFileSync(path.join(out, "queries.json"), "utf8"));
const T2S = loadT2s();

async function open() {
  tokenizer.setTable(T2S);
  return searcherOver(dir);
}

function hotFile(t) {
  let name = tokenizer.termHash(t).toString(36);
  while (name.length < 7) name = "0" + name;
  return "shards/h" + name;
}

test("the commonest bigrams are extended: their trigrams are indexed", async () => {
  const { searcher } = await open();
  const hot = searcher.manifest().hot;
  const extended = Object.keys(hot).filter((t) => hot[t] & 128);
  assert.ok(extended.includes("党建") && extended.includes("网络"), extended.join(" "));
  assert.ok(extended.every((t) => Array.from(t).length === 2 && Array.from(t).every(tokenizer.isCjk)));
});

test("every query finds exactly the entries holding it, without its extended bigrams' files", async () => {
  let avoided = 0;
  for (const [query, want] of QUERIES) {
    const { searcher, fetched } = await open();
    const hot = searcher.manifest().hot;
    const r = await searcher.search(query, {}, "newest");
    // the entries holding the query as typed (tier 1; looser tiers follow them)
    const exact = r.partial ? [] : r.hits.filter((h) => h.tier === 1);
    const got = (await Promise.all(exact.map((h) => searcher.entry(h.ref)))).map((e) => e.url);
    assert.deepStrictEqual(got.sort(), want, query);
    // a word of three characters or more never waits for an extended bigram's postings
    for (const word of tokenizer.tokenizeQuery(query)) {
      if (word.length < 2) continue;
      for (const t of word) {
        if (!(hot[t] & 128)) continue;
        assert.ok(!fetched.some((p) => p.startsWith(hotFile(t))), `${query}: ${t} fetched`);
        avoided += 1;
      }
    }
  }
  assert.ok(avoided > 50, `extended bigrams avoided: ${avoided}`);
  assert.ok(QUERIES.filter(([, want]) => want.length > 0).length > 60, "queries that find something");
});

test("a word is covered by the fewest, smallest terms: trigrams at offsets that chain", async () => {
  const { searcher, fetched } = await open();
  const hot = searcher.manifest().hot;
  // 理论学习中心组: six bigrams, all extended or next to one: three trigrams cover them
  const r = await searcher.search("理论学习中心组", {}, "newest");
  assert.ok(r.hits.length > 0);
  const shards = fetched.filter((p) => p.startsWith("shards/"));
  assert.ok(shards.length <= 3, shards.join(" "));
  assert.ok(!["理论", "学习"].some((t) => hot[t] & 128 && fetched.some((p) => p.startsWith(hotFile(t)))));
});

test("trigrams stay inside a run: 中国·国家 is not the trigram 中国家", async () => {
  const runs = [];
  const words = tokenizer.tokenizeQuery("中国·国家 中国国家 2026年度", runs);
  assert.deepStrictEqual(words, [["中国", "国家"], ["中国", "国国", "国家"], ["2026", "年度"]]);
  assert.deepStrictEqual(runs, [[0, 3], [0, 0, 0], [-1, 4]]);
});
