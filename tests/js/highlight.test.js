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

// What was marked, in order (the text of each range).
function marked(s, query) {
  return findRanges(tokenizer, s, query).map(([a, b]) => Array.from(s).slice(a, b).join(""));
}

test("a Latin word marks whole words and their stemmed forms, never part of a longer word", () => {
  // a reader's trial: "art" marked the art of "start"
  assert.deepStrictEqual(marked("Start the art class. Arts, artists.", "art"), ["art", "Arts"]);
  assert.deepStrictEqual(marked("Volunteers needed: one volunteer.", "volunteer"), ["Volunteers", "volunteer"]);
  assert.deepStrictEqual(marked("Sports at 3pm, 3 rooms", "3"), ["3"]);
  assert.deepStrictEqual(marked("COVID-19 vaccines; covid 19", "covid-19"), ["COVID-19", "covid 19"]);
  assert.deepStrictEqual(marked("C++ and C# and C", "c++"), ["C++"]);
});

test("punctuation stuck to a word does not stop it being marked", () => {
  assert.deepStrictEqual(marked("Volunteers wanted (volunteer).", "(volunteer)"), ["Volunteers", "volunteer"]);
  assert.deepStrictEqual(marked("Write an email, then call.", "email,"), ["email"]);
  assert.deepStrictEqual(marked("Write an email, then call.", "“email”"), ["email"]);
  assert.deepStrictEqual(marked("网络党建工作。", "党建。"), ["党建"]);
  assert.deepStrictEqual(marked("2026年度计划", "2026年，"), ["2026年"]);
  assert.deepStrictEqual(marked("推进网络党建", "（网络党建）"), ["网络党建"]);
});

test("e-mail marks email and E-mail; email marks E-mail", () => {
  const s = "Write an email or E-mail the office; e mail";
  assert.deepStrictEqual(marked(s, "e-mail"), ["email", "E-mail"]);
  assert.deepStrictEqual(marked(s, "email"), ["email", "E-mail"]);
  assert.deepStrictEqual(marked("Well-being week, wellbeing", "wellbeing"), ["Well-being", "wellbeing"]);
});

test("CJK is still marked as the substring, inside longer runs", () => {
  assert.deepStrictEqual(marked("加强网络党建工作", "党建"), ["党建"]);
  assert.deepStrictEqual(marked("党建工作第3期简报", "党建简报"), ["党建", "简报"]);
});

test("an amount is marked however its thousands are written", () => {
  assert.deepStrictEqual(marked("每户发放12，000元。", "12000元"), ["12，000元"]);
  assert.deepStrictEqual(marked("每户发放12,000元。", "12000元"), ["12,000元"]);
  assert.deepStrictEqual(marked("每户发放12000元。", "12,000元"), ["12000元"]);
  assert.deepStrictEqual(marked("共1,234,567人", "1234567"), ["1,234,567"]);
  // a comma that groups no thousands is no separator of this number
  assert.deepStrictEqual(marked("12,0000元", "12000元"), []);
});
