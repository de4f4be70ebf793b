// The JavaScript tokenizer against the shared vectors: `node --test tests/js/`.
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const { loadT2s } = require("./helpers.js");
const tokenizer = require("../../theme/static/js/tokenizer.js");

const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "vectors", "tokenizer.json"), "utf8"));
tokenizer.setTable(loadT2s());

for (const c of vectors.tokenize) {
  test(`tokenize ${JSON.stringify(c.input)}`, () => {
    assert.deepStrictEqual(tokenizer.tokenize(c.input), c.tokens);
  });
}
for (const c of vectors.query) {
  test(`query ${JSON.stringify(c.input)}`, () => {
    assert.deepStrictEqual(tokenizer.tokenizeQuery(c.input), c.words);
  });
}
for (const c of vectors.query_joins) {
  test(`query joins ${JSON.stringify(c.input)}`, () => {
    const joins = [];
    tokenizer.tokenizeQuery(c.input, null, joins);
    assert.deepStrictEqual(joins, c.joins);
  });
}
for (const c of vectors.fold) {
  test(`fold ${c.input}`, () => {
    assert.strictEqual(tokenizer.fold(c.input), c.output);
  });
}
for (const c of vectors.term_hash) {
  test(`termHash ${JSON.stringify(c.term)}`, () => {
    assert.strictEqual(tokenizer.termHash(c.term), c.hash);
  });
}

test("the fold table also loads from the build's compact string of pairs", () => {
  const t2s = loadT2s();
  const pairs = Object.keys(t2s).map((k) => k + t2s[k]).join("");
  tokenizer.setTable(pairs);
  assert.deepStrictEqual(tokenizer.tokenize("網絡黨建 𠀀"), ["网络", "络党", "党建", "𠀀"]);
  tokenizer.setTable(t2s);
});
