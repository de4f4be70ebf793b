// Start loading the search index's entry points (and the fold table's parts for the query's
// characters) while the search scripts load, then lunr.js (data-lunr on this script: needed
// once the shards arrive, after the parts). Only with JavaScript on: nothing is fetched without.
(function (d, me) {
  function pre(href) {
    var l = d.createElement("link");
    l.rel = "preload"; l.as = "fetch"; l.crossOrigin = "anonymous"; l.href = href;
    d.head.appendChild(l);
  }
  pre("./manifest.json");
  var q = new URLSearchParams(location.search).get("q") || "", seen = {};
  Array.from(q.normalize("NFKC")).forEach(function (c) {
    var k = c.codePointAt(0) % 256;
    if (c.codePointAt(0) >= 0x3400 && !seen[k]) { seen[k] = 1; pre("./t2s/" + k + ".json"); }
  });
  var src = me && me.getAttribute("data-lunr");
  if (src && !d.getElementById("search-lunr") && typeof lunr === "undefined") {
    var s = d.createElement("script");
    s.id = "search-lunr"; s.async = true; s.src = src;
    d.head.appendChild(s);
  }
})(document, document.currentScript);
