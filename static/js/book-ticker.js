/* The trading page's book ticker (market header): best bid and ask with their sizes and the spread,
 * live from the `book:<SYMBOL>` channel. Each frame is a whole state; the one with the highest seq
 * wins (an older one arriving late is dropped). The server renders the first state. docs/web.md.
 */
(function () {
  "use strict";
  var box = document.getElementById("book-ticker"), cfgEl = document.getElementById("market-config");
  if (!box || !cfgEl || !window.QX || !QX.stream) return;
  var cfg = JSON.parse(cfgEl.textContent), dec = QX.dec;
  var seq = Number(box.dataset.seq);
  if (!isFinite(seq)) seq = -1;
  var field = function (name) { return document.querySelector("[data-bt=" + name + "]"); };

  function show(t) {
    field("best_bid").textContent = t.best_bid === null ? "—" : dec.fmt(t.best_bid, cfg.priceDp);
    field("best_bid_qty").textContent = t.best_bid_qty === null ? "" : dec.fmt(t.best_bid_qty, cfg.qtyDp);
    field("best_ask").textContent = t.best_ask === null ? "—" : dec.fmt(t.best_ask, cfg.priceDp);
    field("best_ask_qty").textContent = t.best_ask_qty === null ? "" : dec.fmt(t.best_ask_qty, cfg.qtyDp);
    var spread = field("spread");
    if (t.best_bid === null || t.best_ask === null) { spread.textContent = "—"; return; }
    var diff = dec.add(t.best_ask, "-" + t.best_bid), mid = (Number(t.best_ask) + Number(t.best_bid)) / 2;
    var pct = document.createElement("span");
    pct.className = "muted small";
    pct.textContent = mid ? ((Number(diff) * 100) / mid).toFixed(2) + "%" : "";
    spread.replaceChildren(document.createTextNode(dec.fmt(diff, cfg.priceDp) + " "), pct);
  }

  QX.stream.subscribe("book:" + cfg.symbol, function (frame) {
    if (frame.event === "snapshot" ? frame.seq < seq : frame.seq <= seq) return;
    seq = frame.seq;
    box.dataset.seq = String(seq);
    show(frame.data);
  });
})();
