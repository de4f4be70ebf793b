// Chinese queries typed without spaces: the phrase as typed first (tier 1), then entries
// holding every character of it in any order (tier 2), else the best partial matches.
const test = require("node:test");
const assert = require("node:assert");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { python, searcherOver } = require("./helpers.js");
const tokenizer = require("../../theme/static/js/tokenizer.js");
const { findRanges } = require("../../theme/static/js/search.js");

const out = fs.mkdtempSync(path.join(os.tmpdir(), "tongxin-unspaced-"));
execFileSync(python(), [path.join(__dirname, "fixture_unspaced.py"), out]);
const dir = path.join(out, "search");

async function found(query, sort) {
  tokenizer.setTable({});
  const { searcher } = await searcherOver(dir);
  const r = await searcher.search(query, {}, sort);
  const urls = await Promise.all(r.hits.map((h) => searcher.entry(h.ref).then((e) => e.url)));
  return { urls, tiers: r.hits.map((h) => h.tier), partial: r.partial };
}

const briefs = Array.from({ length: 45 }, (_, i) => `/news/brief-${i + 1}/`);

test("党建简报 and 党建工作简报 find all 45 briefings, none of them partial", async () => {
  for (const q of ["党建简报", "党建工作简报"]) {
    const r = await found(q);
    assert.deepStrictEqual(r.urls.slice().sort(), briefs.slice().sort(), q);
    assert.strictEqual(r.partial, false);
    assert.ok(r.tiers.every((t) => t === 2), q);
  }
});

test("the phrase as typed ranks before its characters in any order", async () => {
  const r = await found("党建工作");
  // 党建工作第N期简报 (title) and 推进党建工作 (text) say it; none holds it apart
  assert.strictEqual(r.urls.length, 46);
  assert.ok(r.tiers.every((t) => t === 1));
  const apart = await found("工作简报");
  assert.ok(apart.urls.length === 45 && apart.tiers.every((t) => t === 2));
  const newest = await found("互联网党建", "newest");
  // 互联网+党建 (p2, a symbol between) and 互联网，推进党建 (p1) hold it apart
  assert.deepStrictEqual(newest.urls, ["/news/plus/", "/news/net/"]);
  assert.deepStrictEqual(newest.tiers, [2, 2]);
});

test("主题党日活动通知 finds the notice", async () => {
  const r = await found("主题党日活动通知");
  assert.deepStrictEqual(r.urls, ["/announcements/day/"]);
  assert.strictEqual(r.partial, false);
});

test("组织生活会议: the entry on 组织生活会 first, as a labelled partial match", async () => {
  const r = await found("组织生活会议");
  assert.strictEqual(r.partial, true);
  assert.strictEqual(r.urls[0], "/study/meeting/");
  // 生活服务 holds 生活 alone (2 of 6 characters): not among the best
  assert.ok(!r.urls.includes("/study/life/"), r.urls.join());
});

test("a dash between Chinese words splits them like a space; 互联网+ keeps its symbol", async () => {
  const spaced = await found("互联网 党建", "newest");
  assert.deepStrictEqual(spaced.urls, ["/news/plus/", "/news/net/"]);
  for (const q of ["互联网-党建", "互联网—党建", "互联网－党建"]) {
    assert.deepStrictEqual((await found(q, "newest")).urls, spaced.urls, q);
  }
  assert.deepStrictEqual((await found("互联网+党建")).urls, ["/news/plus/"]);
});

test("a word not found whole is highlighted by its bigrams", () => {
  tokenizer.setTable({});
  const title = "党建工作第3期简报";
  assert.deepStrictEqual(findRanges(tokenizer, title, "党建简报"), [[0, 2], [7, 9]]);
  assert.deepStrictEqual(findRanges(tokenizer, title, "党建工作"), [[0, 4]]);
});
