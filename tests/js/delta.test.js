// Base + delta against a cold build: the same hits, scores and rows for every query.
const test = require("node:test");
const assert = require("node:assert");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { python, searcherOver } = require("./helpers.js");

const out = fs.mkdtempSync(path.join(os.tmpdir(), "tongxin-delta-"));
execFileSync(python(), [path.join(__dirname, "fixture_delta.py"), out]);

async function searcherFor(name) {
  const dir = path.join(out, name, "search");
  return searcherOver(dir);
}

async function results(searcher, query, filters, sort) {
  const r = await searcher.search(query, filters, sort);
  const rows = await Promise.all(r.hits.map((h) => searcher.entry(h.ref)));
  return r.hits.map((h, i) => [rows[i].url, rows[i].title, Math.round(h.score * 1e9)]);
}

const QUERIES = [
  "网络党建",
  "網絡黨建",
  "两学一做",
  "兩學一做",
  "开源 软件",
  "open source",
  "2026年",
  "通知",
  "网络",
  "新增",
  "改写后",
  "主题党日",
  "第7号",
  "不在任何条目里",
];
const FILTERS = [{}, { branch: "五支部" }, { branch: "二支部" }, { type: "study" }, { year: "2026" }];

test("base plus delta finds exactly what a cold build finds, with the same scores", async () => {
  const cold = (await searcherFor("cold")).searcher;
  const merged = (await searcherFor("delta")).searcher;
  let compared = 0;
  for (const q of QUERIES) {
    for (const f of FILTERS) {
      for (const sort of ["relevance", "newest"]) {
        const want = await results(cold, q, f, sort);
        const got = await results(merged, q, f, sort);
        assert.deepStrictEqual(got, want, `${q} ${JSON.stringify(f)} ${sort}`);
        compared += want.length;
      }
    }
  }
  assert.ok(compared > 100, "the queries must find something");
});

test("deleted and superseded entries are not found through the base", async () => {
  const { searcher } = await searcherFor("delta");
  const found = (await results(searcher, "通知", {}, "newest")).map((r) => r[0]);
  assert.ok(!found.includes("/e/7/"), "a deleted entry is gone");
  assert.strictEqual(found.filter((u) => u === "/e/3/").length, 1, "an edited entry appears once");
  const edited = (await results(searcher, "改写后", {}, "newest")).map((r) => r[0]);
  assert.deepStrictEqual(edited.sort(), ["/e/3/", "/e/50/", "/e/51/"]);
});

test("a query downloads one delta shard per term bucket", async () => {
  const { searcher, fetched } = await searcherFor("delta");
  await searcher.search("网络党建", {}, "relevance");
  const deltaFiles = fetched.filter((p) => p.startsWith("delta/shards/"));
  assert.ok(deltaFiles.length >= 1 && deltaFiles.length <= 3, deltaFiles.join(","));
});

test("the delta indexes the trigrams of the base's extended bigrams, as the base does", async () => {
  const { searcher } = await searcherFor("delta");
  const m = searcher.manifest();
  assert.ok(m.hot["网络"] & 128 && m.hot["党建"] & 128, "extended in the base");
  const dir = path.join(out, "delta", "search", "delta", "shards");
  const held = {};
  for (const name of fs.readdirSync(dir)) {
    for (const [term, posting] of JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")).invertedIndex) {
      held[term] = Object.keys(posting.text).length + Object.keys(posting.title).length;
    }
  }
  // the edited entries say 網絡黨建 (folded: 网络党建), the added ones 网络党建 in the title
  assert.ok(held["网络党"] >= 7 && held["络党建"] >= 7, JSON.stringify([held["网络党"], held["络党建"]]));
  const found = (await results(searcher, "網絡黨建", {}, "newest")).map((r) => r[0]);
  for (const url of ["/e/3/", "/e/50/", "/e/51/", "/e/120/"]) assert.ok(found.includes(url), url);
});
