// What readers type: tags, summaries, one character, symbols in terms, several words.
const test = require("node:test");
const assert = require("node:assert");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { python, searcherOver } = require("./helpers.js");
const tokenizer = require("../../theme/static/js/tokenizer.js");

const out = fs.mkdtempSync(path.join(os.tmpdir(), "tongxin-reader-"));
execFileSync(python(), [path.join(__dirname, "fixture_reader.py"), out]);
const dir = path.join(out, "search");

async function open() {
  tokenizer.setTable({});
  return searcherOver(dir);
}

async function urls(searcher, query, filters, sort, tier) {
  const r = await searcher.search(query, filters, sort);
  const hits = tier ? r.hits.filter((h) => h.tier === tier) : r.hits;
  const found = await Promise.all(hits.map((h) => searcher.entry(h.ref).then((e) => e.url)));
  return { urls: found, partial: r.partial };
}

test("a tag is found, and ranks above the same word in a body", async () => {
  const { searcher } = await open();
  assert.deepStrictEqual((await urls(searcher, "敬老")).urls, ["/news/visit/", "/news/body/"]);
});

test("a written summary is found", async () => {
  const { searcher } = await open();
  assert.deepStrictEqual((await urls(searcher, "AGM")).urls, ["/announcements/meeting/"]);
});

test("one character finds every entry holding it, simplified or traditional", async () => {
  const { searcher } = await open();
  const simplified = (await urls(searcher, "党", {}, "newest")).urls;
  assert.deepStrictEqual(simplified, ["/news/visit/", "/news/net/", "/news/tw/"]);
  assert.deepStrictEqual((await urls(searcher, "黨", {}, "newest")).urls, simplified);
});

test("a symbol that is part of a term counts", async () => {
  const { searcher } = await open();
  assert.deepStrictEqual((await urls(searcher, "互联网+")).urls, ["/news/plus/"]);
  assert.deepStrictEqual((await urls(searcher, "互联网", {}, "newest")).urls, ["/news/plus/", "/news/net/"]);
});

test("several words: all of them first, else the best partial matches, labelled", async () => {
  const { searcher } = await open();
  const all = await urls(searcher, "志愿服务 敬老");
  assert.deepStrictEqual(all, { urls: ["/news/visit/"], partial: false });
  const some = await urls(searcher, "志愿服务 不存在的词");
  assert.strictEqual(some.partial, true);
  assert.deepStrictEqual(some.urls.sort(), ["/news/visit/", "/news/volunteer/"]);
  assert.deepStrictEqual(await urls(searcher, "不存在的词 也没有"), { urls: [], partial: false });
});

test("第3期 is the issue, not every entry with a 3; 2026年 still finds 2026年度", async () => {
  const { searcher } = await open();
  assert.deepStrictEqual((await urls(searcher, "第3期")).urls, ["/news/issue3/"]);
  assert.deepStrictEqual((await urls(searcher, "3期")).urls, ["/news/issue3/"]);
  assert.deepStrictEqual((await urls(searcher, "2026年")).urls, ["/news/year/"]);
});

test("within a filter, no entry with the whole query is no result, not a partial match", async () => {
  const { searcher } = await open();
  assert.deepStrictEqual((await urls(searcher, "互联网政务")).urls, ["/news/plus/"]);
  // in 西城区 互联网党建 holds part of it (互联网): not an answer to 互联网政务 there
  assert.deepStrictEqual(await urls(searcher, "互联网政务", { region: "西城区" }), { urls: [], partial: false });
  assert.deepStrictEqual(await urls(searcher, "互联网政务", { year: "2024" }), { urls: [], partial: false });
  // without a filter the best partial matches are still offered, labelled
  const some = await urls(searcher, "互联网 不存在的词");
  assert.strictEqual(some.partial, true);
  assert.deepStrictEqual(some.urls.sort(), ["/news/net/", "/news/plus/"]);
});

test("filters by region, and each result's branch, type and region for counting", async () => {
  const { searcher } = await open();
  assert.deepStrictEqual((await urls(searcher, "互联网", { region: "西城区" })).urls, ["/news/net/"]);
  const r = await searcher.search("互联网");
  const facets = await searcher.facetsOf(r.hits);
  assert.deepStrictEqual(facets.map((f) => f.join("/")).sort(), ["一支部/news/东城区", "二支部/study/西城区"]);
});

test("the fold table is fetched in the parts a query needs, not whole", async () => {
  const { searcher, fetched } = await open();
  await searcher.search("网络党建");
  const parts = fetched.filter((p) => p.startsWith("t2s/"));
  assert.ok(!fetched.includes("t2s.json"));
  assert.ok(parts.length >= 1 && parts.length <= 4, parts.join());
});

test("every bigram of a chain is checked: one token between two runs is no match", async () => {
  const { searcher } = await open();
  assert.deepStrictEqual((await urls(searcher, "委会民主", {}, "", 1)).urls, []);
  assert.deepStrictEqual((await urls(searcher, "委会+民主", {}, "", 1)).urls, ["/news/gap/"]);
  // its characters are all there, apart: a tier 2 match
  assert.deepStrictEqual((await urls(searcher, "委会民主", {}, "", 2)).urls, ["/news/gap/"]);
});

test("a traditional query waits only for its own characters' fold parts; highlighting's come after", async () => {
  const { searcher, fetched } = await open();
  const manifest = searcher.manifest();
  const part = (ch) => `t2s/${ch.codePointAt(0) % manifest.t2sParts}.json`;
  const r = await searcher.search("互聯網");
  assert.ok(r.hits.length >= 1);
  const own = new Set(Array.from("互聯網").map(part));
  const later = Array.from("互联网").map(part).filter((p) => !own.has(p));
  assert.ok(later.length >= 1, "the test needs a simplified form in another part");
  const before = fetched.filter((p) => p.startsWith("t2s/"));
  assert.deepStrictEqual(new Set(before), own);
  await searcher.highlightParts("互聯網");
  for (const p of later) assert.ok(fetched.includes(p), p);
});

test("a small index asks for the query's buckets before its fold parts are in; a wrong guess still finds", async () => {
  const { searcher, fetched } = await open();
  const simplified = await urls(searcher, "互联网");
  const firstShard = fetched.findIndex((p) => p.startsWith("shards/"));
  const firstPart = fetched.findIndex((p) => p.startsWith("t2s/"));
  assert.ok(firstShard >= 0 && firstShard < firstPart, fetched.join());
  const other = await open();
  assert.deepStrictEqual(await urls(other.searcher, "互聯網"), simplified);
});

test("English words are stemmed alike in the index and the query (lunr's stemmer)", async () => {
  const { searcher } = await open();
  // the entry says "Annual meeting of members" and "Members meet in the hall."
  for (const q of ["member", "MEETINGS", "meets annually"]) {
    assert.deepStrictEqual((await urls(searcher, q)).urls, ["/announcements/meeting/"], q);
  }
  const { findRanges } = require("../../theme/static/js/search.js");
  // marked to the end of the word the stem opens
  assert.deepStrictEqual(findRanges(tokenizer, "Members meet in the hall.", "member meetings"), [
    [0, 7],
    [8, 12],
  ]);
});

test("e-mail finds entries that say email, and email those that say e-mail", async () => {
  const { searcher } = await open();
  for (const q of ["e-mail", "email", "E-Mail", "(e-mail)", "emails"]) {
    const found = await urls(searcher, q, {}, "newest");
    assert.deepStrictEqual(found, { urls: ["/news/e-mail/", "/news/email/"], partial: false }, q);
  }
  // the hyphen is no separator: "e mail" is two words, each needed
  assert.deepStrictEqual((await urls(searcher, "e mail", {}, "newest")).urls, ["/news/e-mail/"]);
});

test("an amount is found however its thousands are written: 12000元, 12,000元, 12，000元", async () => {
  const { searcher } = await open();
  for (const q of ["12000元", "12,000元", "12，000元", "１２，０００元", "发放12000"]) {
    assert.deepStrictEqual(await urls(searcher, q), { urls: ["/news/grouped/"], partial: false }, q);
  }
  // a comma that groups no thousands still separates: 12,00 is 12 and 00
  assert.deepStrictEqual(await urls(searcher, "12,00元"), { urls: [], partial: false });
  // and 3000元 still finds 3000元 alone
  assert.deepStrictEqual(await urls(searcher, "3,000元"), { urls: ["/news/grant/"], partial: false });
});

test("a query does not come down to tiny fragments: one character beside a number, a digit, a URL's words", async () => {
  const { searcher } = await open();
  const none = { urls: [], partial: false };
  // a trial: these listed entries holding only 元, or a 3, or a word of the URL
  assert.deepStrictEqual(await urls(searcher, "3000元"), { urls: ["/news/grant/"], partial: false });
  assert.deepStrictEqual(await urls(searcher, "4000元"), none);
  assert.deepStrictEqual(await urls(searcher, "https://example.org/news/2025/05/x.html"), none);
  assert.deepStrictEqual(await urls(searcher, "<script>"), none);
  // 第3期 is 3 with 第 and 期 beside it (简报第3期 too), not the three anywhere
  assert.deepStrictEqual(await urls(searcher, "第3期"), { urls: ["/news/issue3/"], partial: false });
  assert.deepStrictEqual(await urls(searcher, "第9期"), none);
  // a word of the query held whole still makes a partial match; a fragment of one does not
  const some = await urls(searcher, "补贴标准 4000元");
  assert.deepStrictEqual(some, { urls: ["/news/yuan/"], partial: true });
  assert.deepStrictEqual(await urls(searcher, "script 4000元"), { urls: ["/news/play/"], partial: true });
});
