// Index round trip: tongxin.search builds, lunr.js loads and queries.
const test = require("node:test");
const assert = require("node:assert");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { ROOT, python, searcherOver } = require("./helpers.js");
const lunr = require(path.join(process.env.TONGXIN_NODE_MODULES || path.join(ROOT, "node_modules"), "lunr"));
const tokenizer = require("../../theme/static/js/tokenizer.js");
const { loadIndex } = require("../../theme/static/js/search.js");

async function searcherFor(shards, split, hot) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tongxin-index-"));
  const args = [path.join(__dirname, "fixture_index.py"), out, String(shards)];
  if (split || hot) args.push(String(split || 1000000));
  if (hot) args.push(String(hot));
  execFileSync(python(), args);
  const dir = path.join(out, "search");
  return searcherOver(dir, { lunr });
}

async function urls(searcher, query, filters, sort) {
  const r = await searcher.search(query, filters, sort);
  return Promise.all(r.hits.map((h) => searcher.entry(h.ref).then((e) => e.url)));
}

// The hits with the query as typed (tier 1): the substring itself.
async function exact(searcher, query, filters, sort) {
  const r = await searcher.search(query, filters, sort);
  const hits = r.hits.filter((h) => h.tier === 1);
  return Promise.all(hits.map((h) => searcher.entry(h.ref).then((e) => e.url)));
}

for (const shards of [1, 8]) {
  test(`simplified query finds traditional entries (${shards} shards)`, async () => {
    const { searcher } = await searcherFor(shards);
    assert.deepStrictEqual((await exact(searcher, "网络党建", {}, "newest")), ["/news/a/", "/news/b/"]);
    assert.deepStrictEqual((await exact(searcher, "網絡黨建", {}, "newest")), ["/news/a/", "/news/b/"]);
  });

  test(`bigrams must be adjacent, not just present (${shards} shards)`, async () => {
    const { searcher } = await searcherFor(shards);
    // entry d holds 网络 and 党建 but not 网络党建: not an exact hit, but one after them
    assert.ok(!(await exact(searcher, "网络党建")).includes("/news/d/"));
    assert.deepStrictEqual((await urls(searcher, "网络党建", {}, "newest")).slice(-1), ["/news/d/"]);
    assert.ok((await exact(searcher, "网络 党建")).includes("/news/d/"));
  });
}

test("multi-word queries AND their words", async () => {
  const { searcher } = await searcherFor(4);
  assert.deepStrictEqual(await urls(searcher, "两学一做 2026年"), ["/study/c/"]);
  assert.deepStrictEqual(await urls(searcher, "兩學一做", {}, "newest"), ["/news/b/", "/study/c/"]);
});

test("filters by branch, type and year", async () => {
  const { searcher } = await searcherFor(4);
  assert.deepStrictEqual(await urls(searcher, "两学一做", { branch: "二支部" }), ["/news/b/"]);
  assert.deepStrictEqual(await urls(searcher, "两学一做", { type: "study" }), ["/study/c/"]);
  assert.deepStrictEqual(await urls(searcher, "网络党建", { year: "2025" }), ["/news/b/"]);
  assert.deepStrictEqual(await urls(searcher, "网络党建", { year: "1999" }), []);
});

test("latin words are case-insensitive and the no-result case is empty", async () => {
  const { searcher } = await searcherFor(4);
  assert.deepStrictEqual(await urls(searcher, "covid VACCINATION"), ["/announcements/e/"]);
  assert.deepStrictEqual(await urls(searcher, "不存在的词语"), []);
});

test("a query downloads only the shards of its terms", async () => {
  const { searcher, fetched } = await searcherFor(64);
  await searcher.search("党建");
  const shardFiles = fetched.filter((p) => p.startsWith("shards/"));
  assert.deepStrictEqual(shardFiles, [`shards/${tokenizer.termHash("党建") % 64}.json`]);
});

test("entry metadata comes from the one block of its hit", async () => {
  const { searcher, fetched } = await searcherFor(2);
  const r = await searcher.search("加强网络党建");
  assert.strictEqual(r.hits.length, 1);
  const e = await searcher.entry(r.hits[0].ref);
  assert.strictEqual(e.url, "/news/a/");
  assert.strictEqual(e.branch, "一支部");
  assert.strictEqual(e.date, "2026-03-01");
  assert.strictEqual(fetched.filter((p) => p.startsWith("meta/")).length, 1);
});

test("numbers sort newest first and stay put when an entry is added", async () => {
  const { searcher } = await searcherFor(2);
  const r = await searcher.search("网络", {}, "newest");
  const dates = await Promise.all(r.hits.map((h) => searcher.entry(h.ref).then((e) => e.date)));
  assert.deepStrictEqual(dates, [...dates].sort().reverse());
});

test("relevance ranks an entry matching in title and text above one matching in text only", async () => {
  const { searcher } = await searcherFor(4);
  // c has 两学一做 in its title and text, b (newer) in its text only
  assert.deepStrictEqual(await urls(searcher, "两学一做"), ["/study/c/", "/news/b/"]);
  assert.deepStrictEqual(await urls(searcher, "两学一做", {}, "newest"), ["/news/b/", "/study/c/"]);
});

const QUERIES = ["网络党建", "網絡黨建", "两学一做", "两学一做 2026年", "网络 党建", "covid", "不存在的词语"];

test("hot buckets split into parts answer exactly as whole buckets", async () => {
  const whole = await searcherFor(4);
  const split = await searcherFor(4, 1);
  assert.ok(Object.keys(split.searcher.manifest().parts).length > 0);
  for (const q of QUERIES) {
    assert.deepStrictEqual(await urls(split.searcher, q, {}, "newest"), await urls(whole.searcher, q, {}, "newest"), q);
    // relevance: the same hits (a part's N and average length are its own, so scores differ)
    const a = (await urls(split.searcher, q)).sort();
    assert.deepStrictEqual(a, (await urls(whole.searcher, q)).sort(), q);
  }
  assert.deepStrictEqual(await urls(split.searcher, "两学一做", { branch: "二支部" }), ["/news/b/"]);
  // a split bucket is fetched as all of its parts, each a file of its own
  const parts = split.fetched.filter((p) => /^shards\/\d+-\d+\.json$/.test(p));
  assert.ok(parts.length >= 2);
});

test("frequent terms in files of their own answer exactly as buckets", async () => {
  const whole = await searcherFor(4);
  for (const split of [0, 1]) {
    const hot = await searcherFor(4, split, 2);
    assert.ok(Object.keys(hot.searcher.manifest().hot).length > 0);
    for (const q of QUERIES) {
      assert.deepStrictEqual(await urls(hot.searcher, q, {}, "newest"), await urls(whole.searcher, q, {}, "newest"), q);
      assert.deepStrictEqual((await urls(hot.searcher, q)).sort(), (await urls(whole.searcher, q)).sort(), q);
    }
    assert.deepStrictEqual(await urls(hot.searcher, "两学一做", { branch: "二支部" }), ["/news/b/"]);
    // 网络 sits in three entries: its postings come from its own file(s), named by its hash
    const h = "h" + tokenizer.termHash("网络").toString(36).padStart(7, "0");
    assert.ok(hot.fetched.some((p) => p.startsWith(`shards/${h}`)), hot.fetched.join(" "));
  }
});

test("every shard file is a lunr index that lunr.Index.load reads", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tongxin-index-"));
  execFileSync(python(), [path.join(__dirname, "fixture_index.py"), out, "4", "1"]);
  const dir = path.join(out, "search", "shards");
  const names = fs.readdirSync(dir);
  assert.ok(names.some((n) => n.includes("-")));
  for (const name of names) {
    const data = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
    const idx = lunr.Index.load(JSON.parse(JSON.stringify(data)));
    // the page's loader exposes every field vector and posting lunr.js loaded
    const lean = loadIndex(data);
    for (const [fieldRef, vector] of Object.entries(idx.fieldVectors)) {
      const [field, ref] = fieldRef.split("/");
      assert.deepStrictEqual(lean.vector(field, ref), vector.elements, `${name} ${fieldRef}`);
    }
    assert.strictEqual(lean.vector("title", "zzzzzz"), null);
    for (const term of Object.keys(idx.invertedIndex)) {
      assert.deepStrictEqual(lean.invertedIndex[term], idx.invertedIndex[term]);
    }
  }
});
