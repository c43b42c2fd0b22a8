/* Markets overview, live: one `ticker:<SYMBOL>` subscription per row (docs/web.md). */
(function () {
  "use strict";
  if (!window.QX) return;
  var dec = QX.dec;
  document.querySelectorAll("#markets tr[data-symbol]").forEach(function (row) {
    var pdp = Number(row.dataset.priceDp), qdp = Number(row.dataset.qtyDp);
    var cell = function (f) { return row.querySelector("[data-field=" + f + "]"); };
    var last = null;
    QX.stream.subscribe("ticker:" + row.dataset.symbol, function (frame) {
      var t = frame.data;
      if (t.last !== null) {
        var el = cell("last");
        if (last !== null && dec.cmp(t.last, last) !== 0) {
          var up = dec.cmp(t.last, last) > 0;
          row.classList.remove("flash-up", "flash-down"); void row.offsetWidth;
          row.classList.add(up ? "flash-up" : "flash-down");
        }
        el.textContent = dec.fmt(t.last, pdp);
        el.dataset.value = t.last;
        last = t.last;
      }
      if (t.change_pct !== null) {
        var neg = t.change_pct[0] === "-", c = cell("change_pct");
        c.textContent = (neg ? "" : "+") + t.change_pct + "%";
        c.dataset.value = t.change_pct;
        c.classList.toggle("down", neg); c.classList.toggle("up", !neg);
      }
      if (t.high !== null) cell("high").textContent = dec.fmt(t.high, pdp);
      if (t.low !== null) cell("low").textContent = dec.fmt(t.low, pdp);
      cell("volume").firstChild.textContent = dec.fmt(t.volume, qdp) + " ";
      cell("volume").dataset.value = t.volume;
      cell("quote_volume").dataset.value = t.quote_volume;
      cell("quote_volume").firstChild.textContent = dec.num(Number(t.quote_volume), pdp) + " ";  // a sum: rounded for display
      var ba = cell("bidask").querySelectorAll("span");
      ba[0].textContent = t.best_bid === null ? "—" : dec.fmt(t.best_bid, pdp);
      ba[1].textContent = t.best_ask === null ? "—" : dec.fmt(t.best_ask, pdp);
    });
  });
})();

/* Markets overview: search, sort by a column, favourites (stored per user on the server). */
(function () {
  "use strict";
  var table = document.getElementById("markets");
  if (!table || !window.QX) return;
  var body = table.tBodies[0], search = document.getElementById("market-search"), none = document.getElementById("markets-none");
  var rows = function () { return Array.prototype.slice.call(body.querySelectorAll("tr[data-symbol]")); };
  var filter = "all";

  function apply() {
    var q = (search ? search.value : "").trim().toUpperCase().replace(/[\/ ]/g, "-"), shown = 0;
    rows().forEach(function (r) {
      var ok = (!q || r.dataset.symbol.indexOf(q) >= 0) && (filter === "all" || r.dataset.favourite === "1");
      r.hidden = !ok;
      shown += ok ? 1 : 0;
    });
    if (none) none.hidden = shown > 0;
  }
  if (search) search.addEventListener("input", apply);
  document.querySelectorAll(".market-tools [data-filter]").forEach(function (b) {
    b.addEventListener("click", function () {
      filter = b.dataset.filter;
      document.querySelectorAll(".market-tools [data-filter]").forEach(function (o) { o.setAttribute("aria-pressed", o === b ? "true" : "false"); });
      apply();
    });
  });

  /* Sorting reads the live values (data-value, refreshed by the ticker) or the symbol. */
  function value(row, key) {
    if (key === "symbol") return row.dataset.symbol;
    var cell = row.querySelector("[data-field=" + key + "]"), v = cell ? cell.dataset.value : "";
    return v === "" || v === undefined ? null : Number(v);
  }
  table.querySelectorAll("th[data-sort]").forEach(function (th) {
    th.tabIndex = 0;
    var sort = function () {
      var key = th.dataset.sort, dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
      if (key === "symbol" && th.getAttribute("aria-sort") === "none") dir = "ascending";
      table.querySelectorAll("th[data-sort]").forEach(function (o) { o.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", dir);
      var sign = dir === "ascending" ? 1 : -1;
      rows().sort(function (a, b) {
        var x = value(a, key), y = value(b, key);
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : x > y ? 1 : 0) * sign;
      }).forEach(function (r) { body.insertBefore(r, none); });
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });

  body.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches(".fav-form")) return;
    event.preventDefault();
    QX.submitForm(form).then(function (r) {
      if (!r.ok) { QX.toast("error", "Not saved", r.body.message || ""); return; }
      var on = !!r.body.favourite, row = form.closest("tr"), button = form.querySelector("button");
      row.dataset.favourite = on ? "1" : "0";
      form.elements.on.value = on ? "0" : "1";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "★" : "☆";
      apply();
    });
  });
})();
