// Shared by the node tests: the fold table comes from the Python side (tongxin.fold), the
// same file the build writes to search/t2s.json.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.join(__dirname, "..", "..");

function python() {
  if (process.env.TONGXIN_PYTHON) return process.env.TONGXIN_PYTHON;
  const venv = path.join(ROOT, ".venv", "bin", "python");
  return fs.existsSync(venv) ? venv : "python3";
}

function loadT2s() {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tongxin-t2s-")), "t2s.json");
  execFileSync(python(), ["-m", "tongxin.fold", out]);
  return JSON.parse(fs.readFileSync(out, "utf8"));
}

// A searcher (search.js) reading the index in `dir` (a search/ folder) from disk, started;
// `fetched`: the files it asked for, in order. `extra`: more createSearcher options (lunr).
async function searcherOver(dir, extra = {}) {
  const { createSearcher } = require("../../theme/static/js/search.js");
  const tokenizer = require("../../theme/static/js/tokenizer.js");
  const fetched = [];
  const searcher = createSearcher({
    tokenizer,
    ...extra,
    fetchJson: async (p) => {
      fetched.push(p);
      return JSON.parse(fs.readFileSync(path.join(dir, p), "utf8"));
    },
  });
  await searcher.init();
  return { searcher, fetched };
}

module.exports = { ROOT, python, loadT2s, searcherOver };
