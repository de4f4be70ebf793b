// Highlighting finds the query in titles and snippets whatever the script of either.
const test = require("node:test");
const assert = require("node:assert");
const { loadT2s } = require("./helpers.js");
const tokenizer = require("../../theme/static/js/tokenizer.js");
const { findRanges } = require("../../theme/static/js/search.js");

tokenizer.setTable(loadT2s());

test("a simplified query marks the traditional title", () => {
  assert.deepStrictEqual(findRanges(tokenizer, "加強網絡黨建工作", "网络党建"), [[2, 6]]);
});

test("every word of a multi-word query is marked, latin case-insensitively", () => {
  assert.deepStrictEqual(findRanges(tokenizer, "COVID 疫苗 covid", "covid 疫苗"), [
    [0, 5],
    [6, 8],
    [9, 14],
  ]);
});

test("ranges count code points, not UTF-16 units", () => {
  assert.deepStrictEqual(findRanges(tokenizer, "𠀀网络", "网络"), [[1, 3]]);
});
