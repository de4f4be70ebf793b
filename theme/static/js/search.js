/* Tongxin search: reads the sharded lunr indexes written by tongxin.search.
 * The engine (createSearcher) also runs under node for the round-trip tests; the page code
 * below it only runs in a browser. Contract: ?q= is read on load; each hit is an <a href> in
 * #search-results; the number of hits is the text of #search-count. */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.TongxinSearch = factory();
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // lunr.js (pinned in package.json, copied into the output by the build) loads each shard
  // with lunr.Index.load. The query itself is ours: every bigram of the query must match and
  // sit right after the previous one, which lunr's query language cannot express, and only
  // the survivors are scored (BM25 from the positions lunr keeps as metadata: the shards
  // have no field vectors).
  var lunrLib =
    typeof lunr !== "undefined" ? lunr : typeof require === "function" ? require("lunr") : null;

  function loadIndex(data) {
    // the page loads lunr.js async, after this script may have run: the global is looked up here
    var lib = lunrLib || (typeof lunr !== "undefined" ? lunr : null);
    var idx = lib.Index.load(data);
    return {
      invertedIndex: idx.invertedIndex,
      vector: function (field, ref) {
        var v = idx.fieldVectors[field + "/" + ref];
        return v ? v.elements : null;
      }
    };
  }

  function createSearcher(options) {
    var tokenizer = options.tokenizer;
    var fetchJson = options.fetchJson; // path relative to the search/ folder -> Promise<JSON>
    var manifest = null;
    var shards = {};
    var parts = {}; // file name -> number of parts (0: one file)
    var metas = {};
    // The delta (manifest.delta): entries added or changed since the base was built, in
    // delta/shards/<hash % shards>.json and delta/meta/<n // metaWidth>.json; the base's
    // postings of the refs in `dead` are dropped (deleted, or superseded by the delta).
    var delta = null;
    var deltaShards = {};
    var dead = {};
    var fresh = {};

    var foldParts = {}; // part number -> Promise of its pairs being added to the tokenizer
    var facetTables = null; // Promise of [base facets, delta facets] (manifest.facets)

    function init() {
      // the fold table comes in parts, fetched for the characters of each query (foldFor)
      var table = Promise.resolve(null);
      return Promise.all([fetchJson("manifest.json"), table]).then(function (r) {
        manifest = r[0];
        if (!manifest.t2sParts) {
          return fetchJson("t2s.json").then(function (t2s) {
            tokenizer.setTable(t2s);
            return start();
          });
        }
        return start();
      });
    }

    function start() {
      delta = manifest.delta || null;
      dead = {};
      fresh = {};
      if (delta) {
        delta.dead.forEach(function (ref) {
          dead[ref] = true;
        });
        delta.refs.forEach(function (ref) {
          fresh[ref] = true;
        });
      }
      return manifest;
    }

    // The fold pairs of these characters: folding them (query) and every traditional form of
    // them (highlighting results); parts are t2s/<code point % t2sParts>.json.
    function foldParts_(chars) {
      var count = manifest.t2sParts;
      if (!count) return Promise.resolve();
      var wanted = [];
      chars.forEach(function (ch) {
        if (!tokenizer.isCjk(ch)) return;
        var k = ch.codePointAt(0) % count;
        if (!foldParts[k]) {
          foldParts[k] = fetchJson("t2s/" + k + ".json").then(tokenizer.addPairs);
        }
        wanted.push(foldParts[k]);
      });
      return Promise.all(wanted);
    }

    // The parts a query's own characters need (to fold it). A traditional query's simplified
    // forms have parts of their own (other traditional forms, for highlighting only): they are
    // fetched by highlightParts once the first screen is shown, never before the query's files
    // (on a slow link a browser opens six connections: they would hold the shards back).
    function foldFor(text) {
      return foldParts_(Array.from(String(text).normalize("NFKC")));
    }

    function highlightParts(text) {
      var chars = Array.from(String(text).normalize("NFKC"));
      return foldParts_(Array.from(tokenizer.fold(chars.join("")))).catch(function () {});
    }

    // Each entry's [branch, type, region], for counting results (small collections only).
    function facetsOf(hits) {
      if (!manifest.facets) return Promise.resolve(null);
      if (!facetTables) {
        facetTables = Promise.all([
          fetchJson("facets.json"),
          delta ? fetchJson("delta/facets.json").catch(function () {
            return null;
          }) : null
        ]);
      }
      return facetTables.then(function (tables) {
        return hits.map(function (h) {
          var table = fresh[h.ref] && tables[1] ? tables[1] : tables[0];
          var i = table.refs[h.ref];
          return i === undefined ? null : table.values[i];
        });
      });
    }

    // A term's postings in the delta: one small file per term hash bucket (null: no delta).
    function deltaShard(t) {
      if (!delta || !delta.shards) return Promise.resolve(null);
      var k = tokenizer.termHash(t) % delta.shards;
      if (!deltaShards[k]) deltaShards[k] = fetchJson("delta/shards/" + k + ".json").then(loadIndex);
      return deltaShards[k];
    }

    // Where a term's postings are: a frequent term (manifest.hot) has files of its own named
    // "h" + its hash in 7 base-36 digits; the others share bucket hash % shards.
    function fileOf(t) {
      var h = tokenizer.termHash(t);
      var code = hotCode(t);
      if (code >= 0) {
        var name = h.toString(36);
        while (name.length < 7) name = "0" + name;
        return { name: "h" + name, parts: code & PARTS };
      }
      var k = h % manifest.shards;
      return { name: String(k), parts: (manifest.parts && manifest.parts[k]) || 0 };
    }

    // A bucket of terms: one file, or (a heavy bucket or hot term) one file per part,
    // fetched in parallel; an entry's part is its number modulo the number of parts.
    function shard(k) {
      if (!shards[k]) {
        var count = parts[k];
        var names = [];
        if (!count) names.push(k);
        for (var j = 0; j < count; j++) names.push(k + "-" + j);
        shards[k] = Promise.all(
          names.map(function (name) {
            return fetchJson("shards/" + name + ".json").then(loadIndex);
          })
        ).then(function (indexes) {
          return { parts: count || 1, indexes: indexes };
        });
      }
      return shards[k];
    }

    function metaBlock(j) {
      if (!metas[j]) {
        var path = String(j).indexOf("delta/") === 0 ? "delta/meta/" + String(j).slice(6) : "meta/" + j;
        metas[j] = fetchJson(path + ".json");
      }
      return metas[j];
    }

    // A document's number n is its ref read in base 36: six digits (day, then a hash), and
    // parseInt stops at the suffix (".1", ".2"…) that tells apart refs of the same six.
    function numberOf(ref) {
      return parseInt(ref, 36);
    }

    function entry(ref) {
      var n = numberOf(ref);
      var block = fresh[ref] === true
        ? metaBlock("delta/" + Math.floor(n / delta.metaWidth))
        : metaBlock(Math.floor(n / manifest.metaWidth));
      return block.then(function (rows) {
        var row = rows[ref];
        return {
          n: n,
          ref: ref,
          url: row[0],
          title: row[1],
          branch: row[2],
          type: row[3],
          date: row[4],
          excerpt: row[5],
          tags: row[6] || "",
          lang: row[7] || ""
        };
      });
    }

    // A query word matches a field when its tokens sit at consecutive positions there: the
    // bigrams of 网络党建 must be 网络@p, 络党@p+1, 党建@p+2, which is the substring itself.
    // A lone CJK character next to digits or letters (年 in 2026年) is a token of its own in
    // the query, but in the text it may open a bigram (2026年度 → 2026, 年度): such a slot is
    // not required, it only keeps its place in the chain.
    function isSlot(word, i) {
      return word.length > 1 && Array.from(word[i]).length === 1 && tokenizer.isCjk(word[i]);
    }

    // manifest.hot: term -> its number of parts (0: one file, at most 32) plus flags: 64, it
    // has a first-screen file; 128, an extended bigram: the index also holds every trigram
    // of a run with it (abc when ab or bc is extended), at the position of its first bigram.
    var PARTS = 63;
    var FIRST = 64;
    var EXTENDED = 128;
    function hotCode(t) {
      if (!manifest.hot || !Object.prototype.hasOwnProperty.call(manifest.hot, t)) return -1;
      return manifest.hot[t];
    }

    function isExtended(t) {
      var code = hotCode(t);
      return code >= 0 && (code & EXTENDED) !== 0;
    }

    // What fetching a term costs, in buckets: its bucket, or a hot term's own files (parts of
    // 3/8 of SPLIT_POSTINGS, or one file of up to that), an extended bigram more than the
    // trigrams that hold it (fewer postings: never more parts).
    function cost(t) {
      var code = hotCode(t);
      if (code < 0) return 1;
      return 2 + 1.5 * (code & PARTS) + ((code & EXTENDED) !== 0 ? 1 : 0);
    }

    // The terms that find a word, each with its offset in the word and how many of its tokens
    // it stands for: [{t, at, n}]. Slots are left
    // out; a token may be found through a trigram of it and its neighbour in the same run
    // (runs: tokenize's runs of the word) when one of them is extended. The cheapest cover of
    // the word's tokens: a trigram stands for two bigrams, and for a common one a small term.
    // Words of letters joined by hyphens (joins: tokenize's, e-mail as email) are found by
    // the term written as one alone: the index holds it for e-mail and email alike.
    function chainOf(word, runs, joins) {
      var n = word.length;
      var joined = {};
      (joins || []).forEach(function (j) {
        joined[j[0]] = j;
      });
      var best = [{ cost: 0, chain: [] }];
      function offer(to, from, term, at) {
        var c = best[from].cost + (term === null ? 0 : cost(term));
        if (best[to] && best[to].cost <= c) return;
        var chain = best[from].chain;
        var link = { t: term, at: at, n: to - from };
        best[to] = { cost: c, chain: term === null ? chain : chain.concat([link]) };
      }
      function trigram(i) {
        // tokens i and i + 1, bigrams of one run, as one term (null: not indexed)
        if (i < 0 || i + 1 >= n || !runs || runs[i] < 0 || runs[i] !== runs[i + 1]) return null;
        if (!isExtended(word[i]) && !isExtended(word[i + 1])) return null;
        return word[i] + Array.from(word[i + 1])[1];
      }
      for (var j = 0; j < n; j++) {
        if (!best[j]) continue;
        if (joined[j]) {
          offer(j + joined[j][1], j, joined[j][2], j);
          continue;
        }
        if (isSlot(word, j)) {
          offer(j + 1, j, null, j);
          continue;
        }
        offer(j + 1, j, word[j], j);
        var ahead = trigram(j);
        if (ahead) offer(j + 2, j, ahead, j);
        var behind = trigram(j - 1); // overlapping the previous token (already covered)
        if (behind) offer(j + 1, j, behind, j - 1);
      }
      return best[n].chain;
    }

    // A query's words as chains (chainOf), the slots left out.
    function chainsOf(queryText) {
      var runs = [];
      var joins = [];
      var words = tokenizer.tokenizeQuery(queryText || "", runs, joins);
      return words.map(function (w, i) {
        return chainOf(w, runs[i], joins[i]);
      });
    }

    function termsOf(chain) {
      var out = [];
      chain.forEach(function (c) {
        if (out.indexOf(c.t) < 0) out.push(c.t);
      });
      return out;
    }

    // A query word matches a field when its terms sit at their offsets from one position
    // there: the bigrams of 网络党建 must be 网络@p, 络党@p+1, 党建@p+2, which is the substring
    // itself (a trigram 网络党@p stands for the first two). A slot (after the chain's terms:
    // linksOf) sits at its offset too: 第3期 is 3@p with 第 and 期 beside it, not anywhere; a
    // leading one may be at the next token's position (简报第3期: 第 ends the run 简报第, and the
    // index puts a run's last character there). Returns 2 when the word is in the title (or
    // a tag), 1 in the text only, 0 nowhere.
    function adjacent(chain, positions) {
      var fields = ["title", "text"];
      for (var f = 0; f < fields.length; f++) {
        var lists = [];
        for (var i = 0; i < chain.length; i++) {
          var byField = positions[chain[i].t] && positions[chain[i].t][fields[f]];
          if (!byField) break;
          lists.push(byField); // a term's positions in one entry: a handful, so indexOf
        }
        if (!lists.length || lists.length !== chain.length) continue;
        var starts = lists[0];
        for (var s = 0; s < starts.length; s++) {
          var p = starts[s] - chain[0].at;
          var ok = true;
          for (var k = 1; k < lists.length && ok; k++) {
            var at = p + chain[k].at;
            ok = lists[k].indexOf(at) >= 0 || (chain[k].slack === 1 && lists[k].indexOf(at + 1) >= 0);
          }
          if (ok) return 2 - f;
        }
      }
      return 0;
    }

    function indexOf(list, value) {
      for (var i = 0; i < (list || []).length; i++) if (list[i] === value) return i;
      return -1;
    }

    var FILTERS = [
      ["branch", "b:", "branches"],
      ["type", "t:", "types"],
      ["region", "r:", "regions"]
    ];

    // One term's postings, read from the files of its bucket (and the delta).
    function termList(t, fields, bucket, recent) {
      var size = 0;
      var found = false;
      var postings = bucket.indexes.map(function (idx) {
        var posting = idx.invertedIndex[t] || null;
        if (posting) {
          fields.forEach(function (f) {
            Object.keys(posting[f] || {}).forEach(function (ref) {
              if (dead[ref]) return;
              found = true;
              size += 1;
            });
          });
        }
        return posting;
      });
      if (recent) {
        fields.forEach(function (f) {
          var n = Object.keys(recent[f] || {}).length;
          if (n) found = true;
          size += n;
        });
      }
      return {
        term: t,
        fields: fields,
        postings: found ? postings : null,
        recent: recent,
        parts: bucket.parts,
        size: size,
        // lunr.idf over the whole collection: size counts a document once per field
        idf: Math.log(1 + Math.abs((manifest.docs - size + 0.5) / (size + 0.5)))
      };
    }

    // A term's positions in one entry, by field (null: the entry lacks it).
    function positionsIn(l, ref, n) {
      if (!l || !l.postings) return null;
      // a ref of the delta is looked up there only: its base postings are dead
      var posting = fresh[ref] ? l.recent : l.postings[l.parts > 1 ? n % l.parts : 0];
      if (!posting) return null;
      var byField = null;
      for (var j = 0; j < l.fields.length; j++) {
        var e = posting[l.fields[j]] && posting[l.fields[j]][ref];
        if (e) {
          byField = byField || {};
          byField[l.fields[j]] = e.p || [];
        }
      }
      return byField;
    }

    // Every ref of a term's postings, once (dead base refs left out).
    function refsOf(l, range, into, seen) {
      function collect(posting, skipDead) {
        if (!posting) return;
        l.fields.forEach(function (f) {
          Object.keys(posting[f] || {}).forEach(function (ref) {
            if (seen[ref] || (skipDead && dead[ref])) return;
            seen[ref] = true;
            var n = numberOf(ref);
            if (!range || (n >= range[0] && n <= range[1])) into.push(ref);
          });
        });
      }
      (l.postings || []).forEach(function (posting) {
        collect(posting, true);
      });
      collect(l.recent, false);
    }

    // What a query word is made of when it is matched loosely, as units {terms, all,
    // significant}: its CJK characters (a bigram or trigram holds two or three: a unit is held
    // by any of the chain's terms that holds it), a lone CJK character that is a word, and each
    // stretch of letters, digits and symbols written together (a URL, covid-19, c++, 3000) as
    // one unit held only with all its tokens. 党建简报 is 党 建 简 报: 党建 and 简报 cover them
    // all, though 建简 is nowhere; a reader types 党建简报 for 党建工作第N期简报. A stretch of
    // one-character tokens (3, x) is not significant: no loose or partial match rests on it;
    // nor on a slot (slotUnits).
    function unitsOf(chain) {
      var byChar = {};
      var out = [];
      var stretch = null;
      chain.forEach(function (c, i) {
        var chars = Array.from(c.t);
        if (chars.every(tokenizer.isCjk)) {
          stretch = null;
          (chars.length > 1 ? chars : [c.t]).forEach(function (k) {
            if (!byChar[k]) out.push((byChar[k] = { terms: [], all: false, significant: true }));
            if (byChar[k].terms.indexOf(c.t) < 0) byChar[k].terms.push(c.t);
          });
          return;
        }
        var prev = chain[i - 1];
        if (!stretch || prev.at + prev.n !== c.at) {
          out.push((stretch = { terms: [], all: true, significant: false }));
        }
        if (stretch.terms.indexOf(c.t) < 0) stretch.terms.push(c.t);
        if (chars.length > 1) stretch.significant = true;
      });
      return out;
    }

    // A word's slots (第 and 期 of 第3期) as units: held in place by a tier 1 match, needed by a
    // loose one, never enough for a partial one.
    function slotUnits(slots) {
      return slots.map(function (t) {
        return { terms: [t], all: true, significant: false };
      });
    }

    // The tokens an entry must hold to have every unit of every word: a unit only one token
    // holds (the first and last characters of a CJK word), every token of a stretch:
    // candidates come from these.
    function necessaryTerms(units) {
      var out = [];
      units.forEach(function (word) {
        word.forEach(function (u) {
          if (!u.all && u.terms.length > 1) return;
          u.terms.forEach(function (t) {
            if (out.indexOf(t) < 0) out.push(t);
          });
        });
      });
      return out;
    }

    // How much of a word an entry holds: all, whether every unit is held (by its tokens in any
    // field); share, the part of its significant units held (0 when it has none); title,
    // whether the title (or a tag) alone holds every unit; loose, whether it can match loosely
    // at all (a significant unit: 第3期 is found in place only).
    function coverOf(units, positions) {
      var got = 0;
      var held = 0;
      var inTitle = 0;
      var significant = 0;
      units.forEach(function (u) {
        var has = function (t) {
          return !!positions[t];
        };
        var title = function (t) {
          return !!(positions[t] && positions[t].title);
        };
        var any = u.all ? u.terms.every(has) : u.terms.some(has);
        if (any) held += 1;
        if (u.all ? u.terms.every(title) : u.terms.some(title)) inTitle += 1;
        if (!u.significant) return;
        significant += 1;
        if (any) got += 1;
      });
      return {
        all: held === units.length,
        share: significant ? got / significant : 0,
        title: units.length > 0 && inTitle === units.length,
        loose: significant > 0
      };
    }

    // How well an entry answers the query (null: it fails a filter or holds no part of it).
    // tier 1: every word as typed (its tokens adjacent: the phrase itself); tier 2: every
    // character of every word, in any order; tier 3: some of them (a partial match). Within
    // a tier: words as typed, words in the title or tags, share of the query held, BM25
    // (lunr's k1 = 1.2, from the positions: the shards carry no field vectors).
    function evaluate(ref, query) {
      var n = numberOf(ref);
      for (var i = 0; i < query.filters.length; i++) {
        if (!positionsIn(query.byTerm[query.filters[i]], ref, n)) return null;
      }
      var matched = 0;
      var whole = 0;
      var inTitle = 0;
      var share = 0;
      var score = 0;
      var scored = {};
      query.chains.forEach(function (chain, wi) {
        var terms = query.required[wi];
        var positions = {};
        var all = true;
        terms.forEach(function (t) {
          var found = positionsIn(query.byTerm[t], ref, n);
          if (found) positions[t] = found;
          else all = false;
        });
        var where = all ? adjacent(query.links[wi], positions) : 0;
        var cover = coverOf(query.units[wi], positions);
        var loose = cover.loose && cover.all;
        if (where) matched += 1;
        if (where === 2 || (!where && loose && cover.title)) inTitle += 1;
        if (where || loose) whole += 1;
        share += where ? 1 : cover.share;
        Object.keys(positions).forEach(function (t) {
          if (scored[t]) return;
          scored[t] = true;
          Object.keys(positions[t]).forEach(function (f) {
            var tf = positions[t][f].length || 1;
            score += (query.byTerm[t].idf * 2.2 * tf) / (1.2 + tf);
          });
        });
      });
      if (!share) return null;
      var words = query.chains.length;
      var tier = matched === words ? 1 : whole === words ? 2 : 3;
      return { n: n, ref: ref, score: score, matched: matched, title: inTitle, share: share, tier: tier };
    }

    // Each word's chain and then its slots that are fetched (not hot), each at its offset; a
    // leading one with slack 1 (it may be at the next token's position: adjacent).
    function linksOf(words, chains) {
      return chains.map(function (chain, i) {
        var links = chain.slice();
        words[i].forEach(function (t, j) {
          if (isSlot(words[i], j) && hotCode(t) < 0) links.push({ t: t, at: j, n: 1, slack: j === 0 ? 1 : 0 });
        });
        return links;
      });
    }

    // The best partial matches: those holding more than half as much of the query as the best.
    function bestPartial(hits) {
      var best = 0;
      hits.forEach(function (h) {
        best = Math.max(best, h.share);
      });
      return hits.filter(function (h) {
        return h.share > best / 2;
      });
    }

    function shortest(terms, byTerm) {
      var best = null;
      terms.forEach(function (t) {
        if (!best || byTerm[t].size < best.size) best = byTerm[t];
      });
      return best;
    }

    function order(sort) {
      // entries with more of the words first, then those with them in the title or tags
      // (tier 1, the phrase as typed, before tier 2, its characters in any order)
      if (sort === "newest") {
        return function (a, b) {
          return (a.tier || 1) - (b.tier || 1) || b.matched - a.matched || b.n - a.n || (a.ref < b.ref ? -1 : 1);
        };
      }
      return function (a, b) {
        return (
          (a.tier || 1) - (b.tier || 1) ||
          b.matched - a.matched ||
          b.title - a.title ||
          (b.share || 0) - (a.share || 0) ||
          b.score - a.score ||
          b.n - a.n ||
          (a.ref < b.ref ? -1 : 1)
        );
      };
    }

    /* filters: {branch, type, region, year} (values as in the manifest); returns
     * Promise<{hits, words, partial}> where hits are [{n, ref, score, matched, title}] with every
     * word first; when no entry has them all, partial is true and hits are the entries with
     * some of them (most words first). Sorted by relevance (title and tag matches first) or,
     * with sort "newest", by number (a bigger n is a later date); searcher.entry(hit.ref)
     * reads a hit's row. */
    function search(queryText, filters, sort) {
      return stemReady(queryText).then(function () {
        guessShards(queryText || "");
        return foldFor(queryText || "").then(function () {
          return searchFolded(queryText, filters, sort);
        });
      });
    }

    // A query with a word of Latin letters is stemmed by lunr.stemmer (tokenizer.stem): on the
    // page lunr.js loads async, and options.ready resolves once it is there.
    function stemReady(queryText) {
      if (!options.ready || !tokenizer.needsStem(queryText || "")) return Promise.resolve();
      return options.ready;
    }

    // A small index (64 documents at most, or no more than its buckets: a bucket is a
    // kilobyte or two) asks for the buckets of the query as typed while its fold parts load:
    // a query in simplified characters folds to itself, so the guess is right and the round
    // trip of the fold parts is off the way to the first screen; a traditional one wastes a
    // few small files.
    function guessShards(queryText) {
      if (!manifest || manifest.docs > Math.max(manifest.shards, 64)) return;
      chainsOf(queryText).forEach(function (chain) {
        termsOf(chain).forEach(function (t) {
          var file = fileOf(t);
          parts[file.name] = file.parts;
          shard(file.name).catch(function () {});
        });
      });
    }

    function searchFolded(queryText, filters, sort) {
      filters = filters || {};
      var words = tokenizer.tokenizeQuery(queryText || "");
      var empty = { hits: [], words: words, partial: false };
      if (!words.length) return Promise.resolve(empty);
      var terms = {};
      var chains = chainsOf(queryText);
      var slots = slotsOf(words);
      var required_ = chains.map(function (chain, i) {
        var list = termsOf(chain);
        slots[i].forEach(function (t) {
          if (list.indexOf(t) < 0) list.push(t);
        });
        return list;
      });
      required_.forEach(function (list) {
        list.forEach(function (t) {
          terms[t] = ["title", "text"];
        });
      });
      var filterTerms = [];
      for (var i = 0; i < FILTERS.length; i++) {
        var value = filters[FILTERS[i][0]];
        if (!value) continue;
        if (indexOf(manifest[FILTERS[i][2]], value) < 0) return Promise.resolve(empty);
        terms[FILTERS[i][1] + value] = ["f"];
        filterTerms.push(FILTERS[i][1] + value);
      }
      var range = filters.year && manifest.years[filters.year];
      if (filters.year && !range) return Promise.resolve(empty);
      return loadTerms(terms).then(function (byTerm) {
        var query = {
          chains: chains,
          required: required_,
          filters: filterTerms,
          byTerm: byTerm,
          range: range,
          units: chains.map(function (chain, i) {
            return unitsOf(chain).concat(slotUnits(slots[i]));
          }),
          links: linksOf(words, chains)
        };
        var found = answer(query);
        found.hits.sort(order(sort));
        return { hits: found.hits, words: words, partial: found.partial };
      });
    }

    // A slot (第 and 期 of 第3期) has no place in the chain, but an entry must hold it (at its
    // offset: linksOf): 第3期 found every entry with a 3 in it. Each word's slots that are
    // fetched: those whose postings are small (not a hot term, whose files a phone would
    // fetch for one character).
    function slotsOf(words) {
      return words.map(function (w) {
        return w.filter(function (t, j) {
          return isSlot(w, j) && hotCode(t) < 0;
        });
      });
    }

    // Promise of {term: termList} for terms ({term: its fields}), from their buckets and the
    // delta.
    function loadTerms(terms) {
      var byShard = {};
      Object.keys(terms).forEach(function (t) {
        var file = fileOf(t);
        parts[file.name] = file.parts;
        (byShard[file.name] = byShard[file.name] || []).push(t);
      });
      var keys = Object.keys(byShard);
      var termNames = Object.keys(terms);
      return Promise.all([Promise.all(keys.map(shard)), Promise.all(termNames.map(deltaShard))]).then(
        function (loaded) {
          var recent = {};
          termNames.forEach(function (t, i) {
            recent[t] = loaded[1][i] ? loaded[1][i].invertedIndex[t] || null : null;
          });
          var byTerm = {};
          loaded[0].forEach(function (bucket, i) {
            byShard[keys[i]].forEach(function (t) {
              byTerm[t] = termList(t, terms[t], bucket, recent[t]);
            });
          });
          return byTerm;
        }
      );
    }

    // The hits of a query whose terms are loaded: {hits, partial}, unsorted.
    function answer(query) {
      function run(lead) {
        var candidates = [];
        var seen = {};
        lead.forEach(function (l) {
          refsOf(l, query.range, candidates, seen);
        });
        var hits = [];
        candidates.forEach(function (ref) {
          var hit = evaluate(ref, query);
          if (hit) hits.push(hit);
        });
        return hits;
      }
      var byTerm = query.byTerm;
      var filterTerms = query.filters;
      // every word as typed (tier 1) or every character of it (tier 2): candidates from
      // the shortest list of the terms each of them needs (and the filters')
      var needed = necessaryTerms(query.units).concat(filterTerms);
      var hits = run([shortest(needed.length ? needed : Object.keys(byTerm), byTerm)]).filter(function (h) {
        return h.tier < 3;
      });
      if (hits.length || filterTerms.length || query.range) return { hits: hits, partial: false };
      // none has them all: the entries with the most of the query (any of its terms).
      // Not within a filter: "志愿服务 in 农村" listed entries holding 服务 under a
      // count of 0 for 农村; the reader is told there is none there instead (the
      // counts show where the query's entries are).
      hits = bestPartial(
        run(
          Object.keys(byTerm).map(function (t) {
            return byTerm[t];
          })
        )
      );
      return { hits: hits, partial: hits.length > 0 };
    }

    /* The first screen of a query holding one of the commonest terms (flag 64 in manifest.hot), from
     * that term's first-screen file alone: its newest entries with it in the title or tags,
     * then its newest with it anywhere, each checked for every word of the query in its
     * normalised text. Promise of {hits} (at least `want`) or null (not applicable, or too
     * few found: wait for search()). Not with filters or a delta. */
    function first(queryText, filters, sort, want) {
      filters = filters || {};
      if (!manifest.hot || delta) return Promise.resolve(null);
      if (filters.branch || filters.type || filters.region || filters.year) return Promise.resolve(null);
      if (tokenizer.needsStem(queryText || "")) return Promise.resolve(null);
      return foldFor(queryText || "").then(function () {
        var lead = null;
        var allHot = true;
        chainsOf(queryText).forEach(function (chain) {
          termsOf(chain).forEach(function (t) {
            var code = hotCode(t);
            if (lead === null && code >= 0 && (code & FIRST) !== 0) lead = t;
            if (code < 0) allHot = false;
          });
        });
        // a term that is not hot (fewer than HOT_POSTINGS entries) is rare among the lead's
        // newest rows: they would seldom fill a page, and waiting for them costs a round trip
        // before the postings are asked for
        if (lead === null || !allHot) return null;
        var needles = tokenizer
          .splitQuery(queryText)
          .map(function (w) {
            return tokenizer.normalise(w).toLowerCase();
          });
        var name = tokenizer.termHash(lead).toString(36);
        while (name.length < 7) name = "0" + name;
        return fetchJson("shards/f" + name + ".json").then(function (data) {
          var lists = data.terms[lead];
          if (!lists) return null;
          var refs = sort === "newest" ? lists["new"] : lists.rel.concat(lists["new"]);
          var seen = {};
          var hits = [];
          refs.forEach(function (ref) {
            if (seen[ref] || dead[ref]) return;
            seen[ref] = true;
            var row = data.rows[ref];
            var inTitle = 0;
            for (var i = 0; i < needles.length; i++) {
              if (row[0].indexOf(needles[i]) >= 0) inTitle += 1;
              else if (row[1].indexOf(needles[i]) < 0) return;
            }
            hits.push({ n: numberOf(ref), ref: ref, score: 0, matched: needles.length, title: inTitle });
          });
          if (sort === "newest") hits.sort(order("newest"));
          else hits.sort(function (a, b) {
            return b.title - a.title || b.n - a.n;
          });
          return hits.length >= want ? { hits: hits.slice(0, want) } : null;
        });
      }).catch(function () {
        return null;
      });
    }

    return {
      init: init,
      search: search,
      first: first,
      highlightParts: highlightParts,
      entry: entry,
      facetsOf: facetsOf,
      manifest: function () {
        return manifest;
      }
    };
  }

  /* ---- the page (browser only) ---- */

  // Code points of s folded, so that a folded needle can be found and mapped back 1:1.
  function foldedChars(tokenizer, s) {
    return Array.from(s).map(function (ch) {
      return tokenizer.fold(ch).toLowerCase();
    });
  }

  // A word's CJK bigrams (党建简报: 党建 建简 简报), or the word itself.
  function pieces(tokenizer, word) {
    var chars = Array.from(word);
    var out = [];
    for (var i = 0; i + 1 < chars.length; i++) {
      if (tokenizer.isCjk(chars[i]) && tokenizer.isCjk(chars[i + 1])) out.push(chars[i] + chars[i + 1]);
    }
    return out.length ? out : [word];
  }

  var WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
  var SYMBOL = /[\p{Sm}\p{Sc}#]/u;
  var SYMBOLS = /[\p{Sm}\p{Sc}#]+$/u;

  // A query word without its punctuation at either end ("(volunteer)", "党建。", "email,"):
  // letters, digits, CJK and the symbols of a term (互联网+, c++) are kept.
  function trimmed(word) {
    var chars = Array.from(word);
    var i = 0;
    var j = chars.length;
    while (i < j && !WORD_CHAR.test(chars[i])) i++; // a leading symbol is no term's: <script>
    while (j > i && !WORD_CHAR.test(chars[j - 1]) && !SYMBOL.test(chars[j - 1])) j--;
    return chars.slice(i, j).join("");
  }

  // [start, end) code point ranges of every query word in s, Simplified/Traditional alike:
  // a word with CJK as the substring (or its bigrams), a Latin or digit word as whole words.
  function findRanges(tokenizer, s, query) {
    var chars = foldedChars(tokenizer, s);
    var hay = chars.join("");
    var ranges = [];
    var words = null; // s's words, made once a Latin query word needs them
    tokenizer.splitQuery(query).forEach(function (typed) {
      var needle = tokenizer.fold(trimmed(typed.normalize("NFKC"))).toLowerCase();
      if (!needle) return;
      if (numberRanges(hay, numberPattern(tokenizer, needle), ranges)) return;
      if (Array.from(needle).some(tokenizer.isCjk)) {
        cjkRanges(tokenizer, hay, needle, ranges);
        return;
      }
      words = words || wordsOf(tokenizer, chars, tokenizer.needsStem(query));
      latinRanges(tokenizer, words, needle, ranges);
    });
    ranges.sort(function (a, b) {
      return a[0] - b[0];
    });
    return ranges;
  }

  // A word holding a number of four digits or more as a pattern that finds it written with
  // or without thousands separators (12000元 and 12,000元, as the tokenizer's ungroup
  // reads both); null for any other word.
  function numberPattern(tokenizer, needle) {
    var plain = tokenizer.ungroup(needle);
    if (!/[0-9]{4,}/.test(plain)) return null;
    var source = plain.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/[0-9]{4,}/g, function (digits) {
      var k = digits.length % 3 || 3;
      var out = digits.slice(0, k);
      for (; k < digits.length; k += 3) out += "[,\\uff0c]?" + digits.slice(k, k + 3);
      return out;
    });
    return new RegExp(source, "g");
  }

  // The places of a number pattern in hay not inside a longer number; true if any.
  function numberRanges(hay, pattern, ranges) {
    if (!pattern) return false;
    var found = false;
    var m;
    while ((m = pattern.exec(hay)) !== null) {
      var at = m.index;
      var end = at + m[0].length;
      if (!m[0].length) break;
      if (/[0-9]/.test(hay.charAt(at - 1)) || /[0-9]/.test(hay.charAt(end))) continue;
      var start = Array.from(hay.slice(0, at)).length;
      ranges.push([start, start + Array.from(m[0]).length]);
      found = true;
    }
    return found;
  }

  // Every place of a word with CJK in hay (UTF-16 offsets made code point indexes): the word
  // as typed, else (a tier 2 or partial match) its bigrams.
  function cjkRanges(tokenizer, hay, needle, ranges) {
    var needles = hay.indexOf(needle) >= 0 ? [needle] : pieces(tokenizer, needle);
    needles.forEach(function (piece) {
      var from = 0;
      for (;;) {
        var at = hay.indexOf(piece, from);
        if (at < 0) break;
        var end = at + piece.length;
        var start = Array.from(hay.slice(0, at)).length;
        ranges.push([start, start + Array.from(hay.slice(at, end)).length]);
        from = end;
      }
    });
  }

  // The words of chars (folded code points) outside CJK, {start, end, term, symbols, cut}
  // (term: stemmed when stem is true, as the index has it; symbols: those written right
  // after it, c++; cut: a CJK run follows it, so the next word is no neighbour), and as
  // `joined` the words joined by hyphens (E-mail), written as one (email) as the index keeps
  // them.
  function wordsOf(tokenizer, chars, stem) {
    var out = { words: [], joined: [] };
    var chain = [];
    var i = 0;
    while (i < chars.length) {
      var last = out.words[out.words.length - 1];
      if (tokenizer.isCjk(chars[i]) || !WORD_CHAR.test(chars[i])) {
        if (last && tokenizer.isCjk(chars[i])) last.cut = true;
        i++;
        continue;
      }
      var j = i;
      while (j < chars.length && !tokenizer.isCjk(chars[j]) && WORD_CHAR.test(chars[j])) j++;
      var text = chars.slice(i, j).join("").normalize("NFKC").toLowerCase();
      if (!(last && last.end === i - 1 && chars[i - 1] === "-" && !last.symbols)) {
        joinWords(tokenizer, chain, out.joined, stem);
        chain = [];
      }
      var word = { start: i, end: j, text: text, term: stem ? tokenizer.stem(text) : text, symbols: "" };
      while (j < chars.length && SYMBOL.test(chars[j])) word.symbols += chars[j++];
      chain.push(word);
      out.words.push(word);
      i = j;
    }
    joinWords(tokenizer, chain, out.joined, stem);
    return out;
  }

  function joinWords(tokenizer, chain, joined, stem) {
    if (chain.length < 2 || !chain.every(function (w) { return /[a-z]/.test(w.text); })) return;
    var text = chain.map(function (w) { return w.text; }).join("");
    var term = stem ? tokenizer.stem(text) : text;
    joined.push({ start: chain[0].start, end: chain[chain.length - 1].end, term: term, symbols: "" });
  }

  // A word without CJK (volunteers, covid-19, c++) is marked where s's words are its tokens
  // in a row, stem for stem (volunteer marks Volunteers, art never Start); words joined by
  // hyphens where they are written as one or so joined (e-mail marks email and E-mail, email
  // marks E-mail); else (a tier 2 or partial match) each token of two characters or more
  // where it is a word of s.
  function latinRanges(tokenizer, found, needle, ranges) {
    var joins = [];
    var tokens = tokenizer.tokenize(needle, null, joins);
    var form = [];
    tokens.forEach(function (t) {
      var symbols = SYMBOLS.exec(t);
      if (symbols && form.length) form[form.length - 1].symbols = symbols[0];
      else form.push({ term: t, symbols: "" });
    });
    // e-mail as the search asks for it: email, written so or with hyphens
    if (joins.length === 1 && joins[0][1] === tokens.length) form = [{ term: joins[0][2], symbols: "" }];
    var before = ranges.length;
    for (var i = 0; i < found.words.length; i++) {
      var end = matchAt(found.words, i, form);
      if (end >= 0) ranges.push([found.words[i].start, end]);
    }
    found.joined.forEach(function (w) {
      if (form.length === 1 && w.term === form[0].term) ranges.push([w.start, w.end]);
    });
    if (ranges.length > before || form.length < 2) return;
    form.forEach(function (u) {
      if (Array.from(u.term).length > 1) latinRanges(tokenizer, found, u.term + u.symbols, ranges);
    });
  }

  // Where the words from i on are form's ({term, symbols}) in a row: the end of the last
  // (past the symbols form asks for), or -1. Symbols form does not ask for, or a CJK run,
  // between two words part them (the index has a token between).
  function matchAt(words, i, form) {
    for (var k = 0; k < form.length; k++) {
      var w = words[i + k];
      var u = form[k];
      if (!w || w.term !== u.term) return -1;
      if (u.symbols && w.symbols !== u.symbols) return -1;
      if (k < form.length - 1 && (w.cut || w.symbols !== u.symbols)) return -1;
    }
    var lastWord = words[i + form.length - 1];
    return lastWord.end + (form[form.length - 1].symbols ? Array.from(lastWord.symbols).length : 0);
  }

  function appendMarked(doc, parent, chars, ranges, from, to) {
    var pos = from;
    ranges.forEach(function (r) {
      var s = Math.max(r[0], pos);
      var e = Math.min(r[1], to);
      if (e <= s) return;
      if (s > pos) parent.appendChild(doc.createTextNode(chars.slice(pos, s).join("")));
      var mark = doc.createElement("mark");
      mark.textContent = chars.slice(s, e).join("");
      parent.appendChild(mark);
      pos = e;
    });
    if (pos < to) parent.appendChild(doc.createTextNode(chars.slice(pos, to).join("")));
  }

  function startPage(win) {
    var doc = win.document;
    var root = doc.getElementById("search");
    if (!root) return;
    var strings = JSON.parse(doc.getElementById("search-strings").textContent);
    var base = root.getAttribute("data-index") || "./";
    // Results per screen: each hit of a first page costs a meta block request of its own.
    var PAGE = 10;
    // A query's first characters only: a pasted paragraph asked for hundreds of index files,
    // and on a slow link the next query waited behind them.
    var MAX_QUERY = 80;
    var tokenizer = win.TongxinTokenizer;
    // lunr.js loads async (#search-lunr, added by search-preload.js, or here if that did not
    // run): this script runs as soon as it is here, asks for the query's shards, and reads
    // them once lunr is there too.
    var lunrTag = doc.getElementById("search-lunr");
    var lunrSrc = doc.querySelector("script[data-lunr]");
    if (!lunrTag && typeof win.lunr === "undefined" && lunrSrc) {
      lunrTag = doc.createElement("script");
      lunrTag.id = "search-lunr";
      lunrTag.async = true;
      lunrTag.src = lunrSrc.getAttribute("data-lunr");
      doc.head.appendChild(lunrTag);
    }
    var lunrReady =
      typeof win.lunr !== "undefined" || !lunrTag
        ? Promise.resolve()
        : new Promise(function (resolve, reject) {
            lunrTag.addEventListener("load", resolve);
            lunrTag.addEventListener("error", function () {
              reject(new Error("lunr.min.js: not loaded"));
            });
          });
    var searcher = createSearcher({
      tokenizer: tokenizer,
      ready: lunrReady,
      fetchJson: function (path) {
        var data = win.fetch(base + path).then(function (r) {
          if (!r.ok) throw new Error(path + ": HTTP " + r.status);
          return r.json();
        });
        if (!/(^|\/)shards\/[^f]/.test(path)) return data; // f…: first-screen rows, plain JSON
        return Promise.all([data, lunrReady]).then(function (both) {
          return both[0];
        });
      }
    });
    var form = doc.getElementById("search-form");
    var input = doc.getElementById("search-input");
    var selects = {
      branch: doc.getElementById("search-branch"),
      type: doc.getElementById("search-type"),
      region: doc.getElementById("search-region"),
      year: doc.getElementById("search-year"),
      sort: doc.getElementById("search-sort")
    };
    var count = doc.getElementById("search-count");
    var results = doc.getElementById("search-results");
    var more = doc.getElementById("search-more");
    var onward = doc.getElementById("search-onward");
    var kinds = doc.getElementById("search-kinds");
    var partialNote = doc.getElementById("search-partial");
    var current = { hits: [], shown: 0, query: "" };
    var generation = 0;
    // Back from a result: the list as long as it was and where the reader was in it (saved
    // in the history entry when leaving; the browser's own restoring came before the list).
    var restore = win.history.state && win.history.state.tongxin;
    if (restore && "scrollRestoration" in win.history) win.history.scrollRestoration = "manual";

    function remember() {
      var state = { tongxin: { shown: current.shown, y: win.scrollY, query: current.query } };
      win.history.replaceState(state, "", win.location.href);
    }

    function restored() {
      if (!restore || restore.query !== current.query) return Promise.resolve();
      var wanted = restore;
      restore = null;
      function step() {
        if (current.shown >= wanted.shown || current.shown >= current.hits.length) {
          win.scrollTo(0, wanted.y);
          return Promise.resolve();
        }
        return showMore(generation).then(step);
      }
      return step();
    }

    function fill(select, values, label) {
      values.forEach(function (v) {
        var o = doc.createElement("option");
        o.value = v;
        o.textContent = label ? label(v) : v;
        select.appendChild(o);
      });
    }

    function typeLabel(t) {
      return (strings.types && strings.types[t]) || t;
    }

    var before = doc.getElementById("search-status-before");
    var after = doc.getElementById("search-status-after");

    // strings[key] holds "{count}" where the number goes; the number alone is #search-count,
    // which stays in place (empty when there is no count to show).
    function setStatus(key, n) {
      if (n === 1 && strings[key + "_one"]) key += "_one"; // "1 result"
      var parts = strings[key].split("{count}");
      before.textContent = parts[0];
      count.textContent = n === null ? "" : String(n);
      after.textContent = parts[1] || "";
    }

    // What the reader typed or chose before the index was there, even before this script
    // was (a slow link): kept, never replaced by the address's (empty) query.
    var touched = {};

    function readUrl() {
      var params = new win.URLSearchParams(win.location.search);
      if (!input.value.trim()) input.value = params.get("q") || "";
      Object.keys(selects).forEach(function (k) {
        var v = params.get(k);
        if (v !== null && selects[k] && !touched[k]) selects[k].value = v;
      });
    }

    function writeUrl() {
      var params = new win.URLSearchParams();
      var q = input.value.trim().slice(0, MAX_QUERY).trim();
      if (q) params.set("q", q);
      Object.keys(selects).forEach(function (k) {
        if (selects[k] && selects[k].value && !(k === "sort" && selects[k].value === "relevance"))
          params.set(k, selects[k].value);
      });
      var qs = params.toString();
      win.history.replaceState(null, "", qs ? "?" + qs : win.location.pathname);
    }

    // 2025-05-13 as every other page writes it (theme.date_format in the page's language)
    function dateText(iso) {
      var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
      if (!m || !strings.date) return iso || "";
      var month = parseInt(m[2], 10);
      var values = { year: m[1], month: month, day: parseInt(m[3], 10), month_name: strings.months[month - 1] };
      return strings.date.replace(/\{(year|month|day|month_name)\}/g, function (all, key) {
        return values[key];
      });
    }

    // Counts of the query's results by each filter's values, in the selects and the kind
    // buttons (分类展现), faceted: a filter's counts are of the results every other chosen
    // filter keeps (not its own), so each count is what choosing that value shows (with a
    // type chosen, a branch counts that type's results). all: the results without filters;
    // within a filter no partial match is shown, so none is counted for it. The year comes
    // from each hit's number, the others from facets.json (a small collection's: a big one
    // counts years alone, over the results of the other filters, searched for: searchFor).
    function showCounts(all, filters, searchFor, gen) {
      var others = filters.branch || filters.type || filters.region;
      return searcher
        .facetsOf(all.hits)
        .then(function (facets) {
          if (facets || !others) return [all, facets];
          var rest = { branch: filters.branch, type: filters.type, region: filters.region };
          return searchFor(rest).then(function (r) {
            return [r, null];
          });
        })
        .then(function (got) {
          if (gen !== generation) return;
          var facets = got[1];
          var counts = countFacets(got[0], facets, facets ? filters : { year: filters.year });
          Object.keys(selects).forEach(function (k) {
            var select = selects[k];
            if (!select || k === "sort" || (k !== "year" && !facets)) return;
            Array.prototype.forEach.call(select.options, function (o) {
              if (!o.value) return;
              var label = o.getAttribute("data-label") || o.textContent;
              o.setAttribute("data-label", label);
              o.textContent = label + " (" + (counts[k][o.value] || 0) + ")";
            });
          });
          var total = facets ? counts.total : others ? null : all.hits.length;
          renderKinds(total, facets ? counts.type : null, all.hits.length > 0);
        })
        .catch(function () {}); // no counts: the results are shown all the same
    }

    // A hit's value of each filter: branch, type and region from its row of the facet table
    // (f: none without one), the year from its number.
    function valuesOf(h, f, years) {
      var out = { branch: f && f[0], type: f && f[1], region: f && f[2], year: null };
      Object.keys(years).forEach(function (y) {
        if (h.n >= years[y][0] && h.n <= years[y][1]) out.year = y;
      });
      return out;
    }

    // {branch, type, region, year: {value: count}, total}: each filter's values counted over
    // the results the other chosen filters keep (filters), total the type's "all" (every
    // filter but the type's). A partial match is counted only where no filter is chosen.
    function countFacets(result, facets, filters) {
      var years = searcher.manifest().years;
      var keys = facets ? ["branch", "type", "region", "year"] : ["year"];
      var counts = { branch: {}, type: {}, region: {}, year: {}, total: 0 };
      result.hits.forEach(function (h, i) {
        var v = valuesOf(h, facets ? facets[i] : null, years);
        keys.forEach(function (k) {
          var kept = keys.every(function (j) {
            return j === k || !filters[j] || v[j] === filters[j];
          });
          var chosen = keys.some(function (j) {
            return j !== k && filters[j];
          });
          if (!kept || (result.partial && chosen)) return;
          if (k === "type") counts.total += 1;
          if (v[k] && !result.partial) counts[k][v[k]] = (counts[k][v[k]] || 0) + 1;
        });
      });
      return counts;
    }

    // The kind buttons: each type's count (byType, null: not counted), total the count of
    // "all" (null: not known); a type with no result is left out, unless it is chosen.
    function renderKinds(total, byType, any) {
      kinds.textContent = "";
      var current = selects.type ? selects.type.value : "";
      var values = [""].concat(searcher.manifest().types);
      values.forEach(function (v) {
        var n = v ? byType && (byType[v] || 0) : total;
        if (v && byType && !n && v !== current) return;
        var li = doc.createElement("li");
        var b = doc.createElement("button");
        b.type = "button";
        b.setAttribute("aria-pressed", String(v === current));
        b.textContent = (v ? typeLabel(v) : strings.all) + (n === null || n === undefined ? "" : " (" + n + ")");
        b.addEventListener("click", function () {
          selects.type.value = v;
          run();
        });
        li.appendChild(b);
        kinds.appendChild(li);
      });
      kinds.hidden = values.length < 3 || !any;
    }

    // A hit's link: a branch site's own pages are stored relative to its root (the folder
    // above the search data), resolved here against the page's own address; a portal's
    // entries of other sites are absolute and stay so.
    var siteRoot = new win.URL("../", new win.URL(base, win.location.href));
    function hitUrl(url) {
      if (/^[a-z][a-z0-9+.-]*:|^\//i.test(url)) return url;
      var u = new win.URL(url, siteRoot);
      return u.origin === win.location.origin ? u.pathname + u.search + u.hash : u.href;
    }

    // An entry in another language than the page (a portal's English branch) says so, as
    // its card does (WCAG 3.1.2): its title, branch and text are read in its voice; the type,
    // the date and the tags' line (its label the page's word) are the page's.
    var pageLang = (doc.documentElement.lang || "").toLowerCase();
    function otherLang(lang) {
      var l = (lang || "").toLowerCase();
      return l && l !== pageLang && l !== pageLang.split("-")[0] ? lang : "";
    }

    function renderHit(e, query) {
      var lang = otherLang(e.lang);
      var li = doc.createElement("li");
      li.className = "search-hit";
      var a = doc.createElement("a");
      if (e.url) a.href = hitUrl(e.url); // an entry without a link of its own is no link (not "")
      var titleChars = Array.from(e.title);
      appendMarked(doc, a, titleChars, findRanges(tokenizer, e.title, query), 0, titleChars.length);
      var h = doc.createElement("h2");
      h.className = "search-hit-title";
      if (lang) h.lang = lang;
      h.appendChild(a);
      li.appendChild(h);
      var meta = doc.createElement("p");
      meta.className = "search-hit-meta";
      var words = [typeLabel(e.type), dateText(e.date)].filter(Boolean).join(" · ");
      if (e.branch && lang) {
        var branch = doc.createElement("span");
        branch.lang = lang;
        branch.textContent = e.branch;
        meta.appendChild(branch);
        if (words) meta.appendChild(doc.createTextNode(" · " + words));
      } else {
        meta.textContent = [e.branch, words].filter(Boolean).join(" · ");
      }
      li.appendChild(meta);
      var text = Array.from(e.excerpt || "");
      var ranges = findRanges(tokenizer, e.excerpt || "", query);
      var start = ranges.length ? Math.max(0, ranges[0][0] - 30) : 0;
      var end = Math.min(text.length, start + 110);
      var p = doc.createElement("p");
      p.className = "search-hit-snippet";
      if (lang) p.lang = lang;
      if (start > 0) p.appendChild(doc.createTextNode("…"));
      appendMarked(doc, p, text, ranges, start, end);
      if (end < text.length) p.appendChild(doc.createTextNode("…"));
      li.appendChild(p);
      if (e.tags) {
        // the tags: a query may have found the entry by one of them
        var tags = doc.createElement("p");
        tags.className = "search-hit-tags";
        var tagChars = Array.from(strings.tags + e.tags);
        appendMarked(doc, tags, tagChars, findRanges(tokenizer, strings.tags + e.tags, query), 0, tagChars.length);
        li.appendChild(tags);
      }
      return li;
    }

    // Before the first hit holding the query's words apart (tier 2): says so, once.
    function looseNote() {
      current.loose = true;
      var li = doc.createElement("li");
      li.className = "search-loose";
      li.textContent = strings.loose || "";
      return li;
    }

    function showMore(gen) {
      var slice = current.hits.slice(current.shown, current.shown + PAGE);
      current.shown += slice.length;
      more.hidden = current.shown >= current.hits.length;
      return Promise.all(
        slice.map(function (h) {
          return searcher.entry(h.ref);
        })
      ).then(function (entries) {
        if (gen !== generation) return;
        entries.forEach(function (e, i) {
          if (slice[i].tier === 2 && !current.loose) results.appendChild(looseNote());
          results.appendChild(renderHit(e, current.query));
        });
        results.setAttribute("aria-busy", "false");
      });
    }

    // "党建 -通知": a word written after a minus is left out, as search engines do: entries
    // holding it as typed are not shown (a reader's trial: the minus was a separator, so
    // 通知 was required instead). A query of such words alone searches them.
    function splitExcluded(query) {
      var keep = [];
      var drop = [];
      query.split(/[\s\u3000]+/).forEach(function (w) {
        var m = /^[-\uFF0D\u2212](.+)$/.exec(w);
        if (m) drop.push(m[1]);
        else if (w) keep.push(w);
      });
      return keep.length && drop.length ? { text: keep.join(" "), excluded: drop } : { text: query, excluded: [] };
    }

    function withoutExcluded(both, excluded, sort) {
      if (!excluded.length) return Promise.resolve(both);
      return Promise.all(
        excluded.map(function (w) {
          return searcher.search(w, {}, sort);
        })
      ).then(function (found) {
        var out = {};
        found.forEach(function (f) {
          if (f.partial) return; // no entry holds it
          f.hits.forEach(function (h) {
            if ((h.tier || 1) === 1) out[h.ref] = true;
          });
        });
        return both.map(function (r) {
          if (!r) return r;
          var hits = r.hits.filter(function (h) {
            return !out[h.ref];
          });
          return { hits: hits, words: r.words, partial: r.partial };
        });
      });
    }

    // The commonest terms: a first screen from one small file (searcher.first), then the
    // postings (not before: on a slow link they would hold the first screen back); not shown
    // once the full results are (done()).
    function showFirst(query, filters, sort, gen, done) {
      return Promise.resolve(searcher.first(query, filters, sort, PAGE)).then(function (f) {
        if (!f || done() || gen !== generation) return;
        return Promise.all(
          f.hits.map(function (h) {
            return searcher.entry(h.ref);
          })
        ).then(function (entries) {
          if (done() || gen !== generation) return;
          entries.forEach(function (e) {
            results.appendChild(renderHit(e, query));
          });
          root.setAttribute("data-first", "shown");
        });
      });
    }

    // A search of query with any filters, the entries of the excluded words left out.
    function searchFor(query, excluded, sort) {
      return function (filters) {
        return searcher.search(query, filters, sort).then(function (found) {
          return withoutExcluded([found], excluded, sort).then(function (one) {
            return one[0];
          });
        });
      };
    }

    function run() {
      if (root.getAttribute("data-ready") !== "true") return Promise.resolve(); // run once ready
      var gen = ++generation;
      var typed = input.value.trim().slice(0, MAX_QUERY).trim();
      var parts = splitExcluded(typed);
      var query = parts.text;
      writeUrl();
      results.textContent = "";
      root.removeAttribute("data-first");
      more.hidden = true;
      onward.hidden = true;
      partialNote.hidden = true;
      if (!query) kinds.hidden = true;
      root.setAttribute("data-state", "searching");
      if (!query) {
        setStatus("prompt", null);
        root.setAttribute("data-state", "done");
        return Promise.resolve();
      }
      results.setAttribute("aria-busy", "true");
      setStatus("loading", null);
      var filters = {
        branch: selects.branch ? selects.branch.value : "",
        type: selects.type ? selects.type.value : "",
        region: selects.region ? selects.region.value : "",
        year: selects.year ? selects.year.value : ""
      };
      var sort = selects.sort ? selects.sort.value : "relevance";
      var filtered = filters.branch || filters.type || filters.region || filters.year;
      var complete = false;
      var shown = parts.excluded.length
        ? Promise.resolve()
        : showFirst(query, filters, sort, gen, function () {
            return complete;
          });
      return shown
        .catch(function () {})
        .then(function () {
          return Promise.all([
            searcher.search(query, filters, sort),
            filtered ? searcher.search(query, {}, sort) : null
          ]);
        })
        .then(function (both) {
          return withoutExcluded(both, parts.excluded, sort);
        })
        .then(function (both) {
          var r = both[0];
          if (gen !== generation) return;
          complete = true;
          results.textContent = "";
          current = { hits: r.hits, shown: 0, query: query };
          setStatus(r.hits.length ? "found" : "none", r.hits.length);
          onward.hidden = r.hits.length > 0;
          partialNote.hidden = !r.partial;
          return showMore(gen).then(function () {
            // counts after the results: on a slow link the first screen comes first
            showCounts(both[1] || r, filters, searchFor(query, parts.excluded, sort), gen);
            searcher.highlightParts(query);
            // for tests and assistive tools: the results on screen match the query
            if (gen === generation) root.setAttribute("data-state", "done");
          });
        })
        .catch(function (err) {
          if (gen !== generation) return;
          setStatus("error", null);
          after.textContent += " (" + err.message + ")";
          root.setAttribute("data-state", "done");
        });
    }

    var timer = null;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      win.clearTimeout(timer);
      run();
    });
    input.addEventListener("input", function (ev) {
      win.clearTimeout(timer);
      // pinyin being composed (dang → 党) is not a query yet: compositionend runs it
      if (ev.isComposing) return;
      timer = win.setTimeout(run, 250);
    });
    input.addEventListener("compositionend", function () {
      win.clearTimeout(timer);
      timer = win.setTimeout(run, 250);
    });
    Object.keys(selects).forEach(function (k) {
      if (selects[k])
        selects[k].addEventListener("change", function () {
          touched[k] = true;
          run();
        });
    });
    more.addEventListener("click", function () {
      showMore(generation);
    });
    win.addEventListener("pagehide", remember);
    results.addEventListener("click", function (ev) {
      if (ev.target.closest && ev.target.closest("a")) remember();
    });
    // Keyboard: "/" focuses the box; arrows move between the box and the results.
    doc.addEventListener("keydown", function (ev) {
      var links = Array.prototype.slice.call(results.querySelectorAll("a"));
      var at = links.indexOf(doc.activeElement);
      if (ev.key === "/" && doc.activeElement !== input && doc.activeElement.tagName !== "SELECT") {
        ev.preventDefault();
        input.focus();
      } else if (ev.key === "ArrowDown" && (doc.activeElement === input || at >= 0)) {
        if (links[at + 1]) {
          ev.preventDefault();
          links[at + 1].focus();
        }
      } else if (ev.key === "ArrowUp" && at >= 0) {
        ev.preventDefault();
        (at === 0 ? input : links[at - 1]).focus();
      } else if (ev.key === "Escape" && doc.activeElement === input) {
        input.value = "";
        run();
      }
    });

    searcher
      .init()
      .then(function (m) {
        if (selects.branch) {
          fill(selects.branch, m.branches);
          selects.branch.closest("label").hidden = m.branches.length < 2;
        }
        if (selects.type) fill(selects.type, m.types, typeLabel);
        if (selects.region) {
          fill(selects.region, m.regions || []);
          selects.region.closest("label").hidden = !(m.regions && m.regions.length);
        }
        if (selects.year) fill(selects.year, Object.keys(m.years).sort().reverse());
        readUrl();
        var box = doc.getElementById("search-filters-box");
        var chosen = Object.keys(selects).some(function (k) {
          return selects[k] && selects[k].value && !(k === "sort" && selects[k].value === "relevance");
        });
        if (box && (chosen || (win.matchMedia && win.matchMedia("(min-width: 40rem)").matches)))
          box.open = true;
        root.setAttribute("data-ready", "true");
        return run().then(restored);
      })
      .catch(function (err) {
        setStatus("error", null);
        after.textContent += " (" + err.message + ")";
      });
  }

  if (typeof window !== "undefined" && typeof document !== "undefined") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () {
        startPage(window);
      });
    } else {
      startPage(window);
    }
  }

  return { createSearcher: createSearcher, findRanges: findRanges, loadIndex: loadIndex };
});
