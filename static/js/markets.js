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
        last = t.last;
      }
      if (t.change_pct !== null) {
        var neg = t.change_pct[0] === "-", c = cell("change_pct");
        c.textContent = (neg ? "" : "+") + t.change_pct + "%";
        c.classList.toggle("down", neg); c.classList.toggle("up", !neg);
      }
      if (t.high !== null) cell("high").textContent = dec.fmt(t.high, pdp);
      if (t.low !== null) cell("low").textContent = dec.fmt(t.low, pdp);
      cell("volume").firstChild.textContent = dec.fmt(t.volume, qdp) + " ";
      cell("quote_volume").firstChild.textContent = dec.num(Number(t.quote_volume), pdp) + " ";  // a sum: rounded for display
      var ba = cell("bidask").querySelectorAll("span");
      ba[0].textContent = t.best_bid === null ? "—" : dec.fmt(t.best_bid, pdp);
      ba[1].textContent = t.best_ask === null ? "—" : dec.fmt(t.best_ask, pdp);
    });
  });
})();
