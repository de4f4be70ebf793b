/* Tongxin search tokenizer: the same rules as tongxin/tokenizer.py, held equal by
 * tests/vectors/tokenizer.json. NFKC, fold Traditional to Simplified (table from
 * search/t2s.json), CJK runs -> overlapping bigrams (one-character runs stay whole),
 * other letters/digits -> lower-cased words (ASCII ones stemmed by lunr.stemmer); symbols (Sm, Sc, #) right after a run add one token,
 * the run's last CJK character or its word followed by them (互联网+ -> 互联 联网 网+);
 * everything else separates. */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.TongxinTokenizer = factory();
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var CJK_RANGES = [
    [0x3005, 0x3007],
    [0x3040, 0x30ff],
    [0x3400, 0x4dbf],
    [0x4e00, 0x9fff],
    [0xac00, 0xd7af],
    [0xf900, 0xfaff],
    [0x20000, 0x3134f]
  ];
  var WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
  var SYMBOL = /[\p{Sm}\p{Sc}#]/u;
  var table = {};

  // t2s: {traditional: simplified}, or the build's compact form, one string of pairs
  // "TSTS…" (code points: a pair may hold characters outside the BMP).
  function setTable(t2s) {
    if (typeof t2s === "string") {
      var chars = Array.from(t2s);
      table = {};
      for (var i = 0; i + 1 < chars.length; i += 2) table[chars[i]] = chars[i + 1];
      return;
    }
    table = t2s || {};
  }

  // More pairs (one part of search/t2s/, the same "TSTS…" string) over what is loaded.
  function addPairs(pairs) {
    var chars = Array.from(pairs || "");
    for (var i = 0; i + 1 < chars.length; i += 2) table[chars[i]] = chars[i + 1];
  }

  function isCjk(ch) {
    var cp = ch.codePointAt(0);
    for (var i = 0; i < CJK_RANGES.length; i++) {
      if (cp >= CJK_RANGES[i][0] && cp <= CJK_RANGES[i][1]) return true;
    }
    return false;
  }

  function fold(text) {
    var out = "";
    for (var ch of text) {
      var mapped = table[ch];
      out += mapped === undefined ? ch : mapped;
    }
    return out;
  }

  // A number grouped by thousands is one number: 3,000 (and 3，000) is 3000, as
  // tongxin.tokenizer._ungroup (the same pattern).
  var GROUPED = /(^|[^0-9,])([0-9]{1,3}(?:,[0-9]{3})+)(?![0-9,])/g;
  function ungroup(text) {
    if (text.indexOf(",") < 0) return text;
    return text.replace(GROUPED, function (_m, before, digits) {
      return before + digits.replace(/,/g, "");
    });
  }

  // Invisible characters pasted inside words (zero-width space and joiners, soft hyphen,
  // word joiner, BOM) are nothing at all, as tongxin.tokenizer._INVISIBLE.
  var INVISIBLE = /[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]/g;

  function normalise(text) {
    return fold(String(text).normalize("NFKC"));
  }

  // lunr's English (Porter) stemmer for a word of ASCII letters, as tongxin.tokenizer.stem:
  // a final y is i, a stem under three letters is not used. The page loads lunr.js async:
  // a searcher waits for it (stemReady) before it tokenizes a query with such a word.
  var ASCII_WORD = /^[a-z]+$/;
  function lunrLib() {
    if (typeof lunr !== "undefined") return lunr;
    if (typeof require === "function") return require("lunr");
    return null;
  }

  function stem(word) {
    if (!ASCII_WORD.test(word)) return word;
    var lib = lunrLib();
    if (!lib) throw new Error("lunr.js is needed to stem " + word);
    var s = lib.stemmer(new lib.Token(word, {})).toString();
    if (s.charAt(s.length - 1) === "y") s = s.slice(0, -1) + "i";
    return s.length >= 3 ? s : word;
  }

  // Whether tokenizing this text needs the stemmer (it holds an ASCII letter after NFKC).
  function needsStem(text) {
    return /[A-Za-z]/.test(String(text).normalize("NFKC"));
  }

  // runs (optional): an array that gets, for each token, the start of the CJK run whose
  // bigram it is (-1 for any other token): two tokens of one run make a trigram.
  // joins (optional): an array that gets [token index, count, term] for each chain of words
  // of letters written with hyphens between them (e-mail: [0, 2, "email"]), the words
  // written as one and stemmed: the index holds that term where they begin (index_terms).
  function tokenize(text, runs, joins) {
    var chars = Array.from(ungroup(normalise(text).replace(INVISIBLE, "")));
    var tokens = [];
    var chain = { words: [], at: -1, end: -1 };
    var i = 0;
    while (i < chars.length) {
      var ch = chars[i];
      var j = i + 1;
      var last = null;
      if (isCjk(ch)) {
        while (j < chars.length && isCjk(chars[j])) j++;
        if (j - i === 1) {
          tokens.push(ch);
          if (runs) runs.push(-1);
        } else {
          for (var k = i; k < j - 1; k++) {
            tokens.push(chars[k] + chars[k + 1]);
            if (runs) runs.push(i);
          }
        }
        last = chars[j - 1];
      } else if (WORD_CHAR.test(ch)) {
        while (j < chars.length && !isCjk(chars[j]) && WORD_CHAR.test(chars[j])) j++;
        last = chars.slice(i, j).join("").toLowerCase();
        if (joins) chained(chain, last, i, j, chars, tokens.length, joins);
        tokens.push(stem(last));
        if (runs) runs.push(-1);
      }
      if (last !== null) {
        var s = j;
        while (s < chars.length && SYMBOL.test(chars[s])) s++;
        if (s > j) {
          tokens.push(last + chars.slice(j, s).join(""));
          if (runs) runs.push(-1);
        }
        j = s > j ? s : j;
      }
      i = j;
    }
    if (joins) joinChain(chain, joins);
    return tokens;
  }

  // A word [i, j) of chars, token index at: it goes on the chain when only a hyphen is
  // between it and the chain's last word, else the chain is joined and it starts a new one.
  function chained(chain, word, i, j, chars, at, joins) {
    if (!(chain.words.length && chain.end === i - 1 && chars[chain.end] === "-")) {
      joinChain(chain, joins);
      chain.words = [];
      chain.at = at;
    }
    chain.words.push(word);
    chain.end = j;
  }

  var HAS_LETTER = /[a-z]/;
  function joinChain(chain, joins) {
    var words = chain.words;
    if (words.length > 1 && words.every(function (w) { return HAS_LETTER.test(w); })) {
      joins.push([chain.at, words.length, stem(words.join(""))]);
    }
    chain.words = [];
  }

  // A query's words: split on white space, and on dashes next to a CJK character (互联网-党建,
  // 互联网—党建 are two words, as 互联网 党建; covid-19 stays one). Readers rarely type spaces.
  var DASH = /\p{Pd}/u;
  function splitQuery(query) {
    var chars = Array.from(String(query).normalize("NFKC"));
    var out = "";
    for (var i = 0; i < chars.length; i++) {
      if (!DASH.test(chars[i])) {
        out += chars[i];
        continue;
      }
      var j = i;
      while (j < chars.length && DASH.test(chars[j])) j++;
      var cjk = (i > 0 && isCjk(chars[i - 1])) || (j < chars.length && isCjk(chars[j]));
      out += cjk ? " " : chars.slice(i, j).join("");
      i = j - 1;
    }
    return out.split(/\s+/).filter(Boolean);
  }

  // A query's words, each as its tokens; runs, joins (optional): arrays that get each
  // word's runs and joins (see tokenize).
  function tokenizeQuery(query, runs, joins) {
    var words = splitQuery(query);
    var out = [];
    for (var i = 0; i < words.length; i++) {
      var wordRuns = [];
      var wordJoins = [];
      var tokens = tokenize(words[i], wordRuns, wordJoins);
      if (tokens.length) {
        out.push(tokens);
        if (runs) runs.push(wordRuns);
        if (joins) joins.push(wordJoins);
      }
    }
    return out;
  }

  // FNV-1a over UTF-8 bytes; tongxin.tokenizer.term_hash gives the same number.
  var encoder = typeof TextEncoder !== "undefined" ? new TextEncoder() : null;
  function termHash(term) {
    var bytes = encoder.encode(term);
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  return {
    setTable: setTable,
    addPairs: addPairs,
    fold: fold,
    normalise: normalise,
    ungroup: ungroup,
    tokenize: tokenize,
    tokenizeQuery: tokenizeQuery,
    splitQuery: splitQuery,
    stem: stem,
    needsStem: needsStem,
    termHash: termHash,
    isCjk: isCjk
  };
});
