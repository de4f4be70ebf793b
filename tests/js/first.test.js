// The first screen of a query with one of the commonest terms, from its first-screen file.
const test = require("node:test");
const assert = require("node:assert");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { python, searcherOver } = require("./helpers.js");
const tokenizer = require("../../theme/static/js/tokenizer.js");

const out = fs.mkdtempSync(path.join(os.tmpdir(), "tongxin-first-"));
execFileSync(python(), [path.join(__dirname, "fixture_common.py"), out]);
const dir = path.join(out, "search");

async function open() {
  tokenizer.setTable({});
  return searcherOver(dir);
}

test("the commonest terms have first-screen files", async () => {
  const { searcher } = await open();
  // flag 64 of a hot term's code: it has a first-screen file
  assert.ok(searcher.manifest().hot["党建"] & 64);
});

test("newest first: the first screen is the full result's first ten, from one file", async () => {
  const { searcher, fetched } = await open();
  const f = await searcher.first("网络党建", {}, "newest", 10);
  assert.ok(f, "a first screen");
  const shards = fetched.filter((p) => p.startsWith("shards/"));
  assert.strictEqual(shards.length, 1, shards.join());
  const full = await searcher.search("网络党建", {}, "newest");
  assert.strictEqual(full.hits.length, 120);
  assert.deepStrictEqual(f.hits.map((h) => h.ref), full.hits.slice(0, 10).map((h) => h.ref));
});

test("relevance: entries with the words in the title come first, as in the full result", async () => {
  const { searcher } = await open();
  const f = await searcher.first("党建", {}, "relevance", 10);
  const full = await searcher.search("党建", {}, "relevance");
  const titled = full.hits.filter((h) => h.title > 0).map((h) => h.ref).sort();
  assert.strictEqual(titled.length, 18);
  assert.deepStrictEqual(f.hits.map((h) => h.ref).sort(), titled.slice().sort().filter((r) => f.hits.some((h) => h.ref === r)));
  assert.ok(f.hits.every((h) => h.title > 0));
});

test("every word is checked: a rarer second word narrows the first screen", async () => {
  const { searcher } = await open();
  const f = await searcher.first("党建 两学一做", {}, "newest", 3);
  const full = await searcher.search("党建 两学一做", {}, "newest");
  assert.deepStrictEqual(f.hits.map((h) => h.ref), full.hits.slice(0, 3).map((h) => h.ref));
  // too few of the newest hold both: no first screen, the full search answers
  assert.strictEqual(await searcher.first("党建 两学一做", {}, "newest", 10), null);
  assert.strictEqual(await searcher.first("党建 不存在", {}, "newest", 5), null);
  assert.strictEqual(await searcher.first("党建", { type: "news" }, "newest", 5), null);
});

test("a query with a term that is not hot skips the first-screen file (a round trip saved)", async () => {
  const { searcher, fetched } = await searcherOver(dir);
  assert.ok(!Object.prototype.hasOwnProperty.call(searcher.manifest().hot, "建工"));
  assert.strictEqual(await searcher.first("党建工作", {}, "newest", 3), null);
  assert.ok(!fetched.some((p) => p.startsWith("shards/f")), fetched.join());
  const hits = (await searcher.search("党建工作", {}, "newest")).hits;
  // 18 say 党建工作; the others hold 党建 and 工作 apart (tier 2), after them
  assert.strictEqual(hits.filter((h) => h.tier === 1).length, 18);
  assert.ok(hits.slice(0, 18).every((h) => h.tier === 1));
});
