/* The trading page, market part, live: the book (checksum-verified, grouped on request), the depth
 * chart, recent trades, the ticker and the candles; the phone view tabs. It shares what the other
 * parts need as QX.market (trade-mine.js: my orders, fills, funds, toasts; trade-entry.js: the order
 * form). See docs/web.md.
 */
(function () {
  "use strict";
  var cfgEl = document.getElementById("market-config");
  if (!cfgEl || !window.QX || !QX.stream) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var dec = QX.dec, stream = QX.stream;
  var SYM = cfg.symbol, PDP = cfg.priceDp, QDP = cfg.qtyDp, LEVELS = cfg.bookLevels, CHECKSUM_LEVELS = 10;
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var page = $(".trade");

  function td(text, cls) {
    var cell = document.createElement("td");
    if (cls) cell.className = cls;
    cell.textContent = text;
    return cell;
  }
  function digits(symbol) { return cfg.markets[symbol] || [PDP, QDP]; }
  function sideWord(side) { return side === "BUY" ? "Buy" : "Sell"; }
  var market = (QX.market = { cfg: cfg, $: $, $$: $$, td: td, digits: digits, sideWord: sideWord,
                              onBook: [], onTicker: [], lastPrice: function () { return lastPrice; } });

  // ================================================================== views (phones) and tabs
  $$("#view-tabs [data-view]").forEach(function (tab) {
    tab.addEventListener("click", function () {
      page.dataset.view = tab.dataset.view;
      $$("#view-tabs [data-view]").forEach(function (t) { t.setAttribute("aria-selected", t === tab ? "true" : "false"); });
      if (depthChart) depthChart.redraw();
    });
  });

  // ================================================================== order book
  var book = { seq: -1, bids: new Map(), asks: new Map(), ready: false };
  var myPrices = { BUY: new Set(), SELL: new Set() };
  var syncEl = $("#book-sync"), groupEl = $("#book-group");
  var depthCanvas = $("#depth-chart");
  var depthChart = depthCanvas && QX.depthChart ? QX.depthChart(depthCanvas, { priceDp: PDP, qtyDp: QDP }) : null;

  function sorted(side) {
    var prices = Array.from(book[side].keys());
    prices.sort(side === "bids" ? function (a, b) { return dec.cmp(b, a); } : dec.cmp);
    return prices;
  }

  /* CRC32 of the top levels interleaved bid, ask, bid, ask..., "price:qty:..." exactly as on the wire. */
  function checksum() {
    var bids = sorted("bids").slice(0, CHECKSUM_LEVELS), asks = sorted("asks").slice(0, CHECKSUM_LEVELS);
    var parts = [];
    for (var i = 0; i < Math.max(bids.length, asks.length); i++) {
      if (i < bids.length) parts.push(bids[i], book.bids.get(bids[i]));
      if (i < asks.length) parts.push(asks[i], book.asks.get(asks[i]));
    }
    return QX.crc32(parts.join(":"));
  }

  function setLevels(side, levels) {
    levels.forEach(function (level) {
      if (dec.isZero(level[1])) book[side].delete(level[0]);
      else book[side].set(level[0], level[1]);
    });
  }

  function bookSync(ok, text) {
    if (!syncEl) return;
    syncEl.classList.toggle("ok", ok);
    syncEl.classList.toggle("bad", !ok);
    syncEl.textContent = text;
    syncEl.dataset.seq = String(book.seq);
    syncEl.dataset.checksumOk = ok ? "true" : "false";
  }

  function onDepth(frame) {
    var data = frame.data;
    if (frame.event === "snapshot") {
      book.bids = new Map(); book.asks = new Map();
      setLevels("bids", data.bids); setLevels("asks", data.asks);
      book.seq = frame.seq; book.ready = true;
    } else {
      if (!book.ready || frame.seq <= book.seq) return;            // before the snapshot, or already in it
      if (frame.prev_seq !== book.seq) { resyncBook(); return; }
      setLevels("bids", data.bids); setLevels("asks", data.asks);
      book.seq = frame.seq;
    }
    if (checksum() !== data.checksum) { resyncBook(); return; }
    bookSync(true, "Live");
    renderBook();
    market.onBook.forEach(function (fn) { fn(); });
  }

  function resyncBook() {
    book.ready = false;
    bookSync(false, "Syncing");
    stream.resync("depth:" + SYM);
  }

  stream.onHeartbeat.push(function (frame) {
    var seq = frame.seqs && frame.seqs["depth:" + SYM];
    if (book.ready && typeof seq === "number" && seq > book.seq) resyncBook();
  });

  /* Levels of one side, best first, merged into groups of `multiple` ticks (bids round down, asks
   * up, as on other exchanges): [{price (string), qty (Number)}]. */
  function grouped(side) {
    var multiple = groupEl ? Number(groupEl.value) : 1, prices = sorted(side), out = [];
    if (multiple === 1) return prices.map(function (p) { return { price: p, qty: Number(book[side].get(p)) }; });
    var step = Number(cfg.tick) * multiple;
    prices.forEach(function (p) {
      var k = side === "bids" ? Math.floor(Number(p) / step + 1e-9) : Math.ceil(Number(p) / step - 1e-9);
      var price = (k * step).toFixed(PDP), lastRow = out[out.length - 1];
      if (lastRow && lastRow.price === price) lastRow.qty += Number(book[side].get(p));
      else out.push({ price: price, qty: Number(book[side].get(p)) });
    });
    return out;
  }

  function renderBook() {
    var asks = grouped("asks"), bids = grouped("bids");
    var top = function (levels) {
      var total = 0;
      return levels.slice(0, LEVELS).map(function (l) { total += l.qty; return { price: l.price, qty: l.qty, total: total }; });
    };
    var a = top(asks), b = top(bids);
    var scale = Math.max(a.length ? a[a.length - 1].total : 0, b.length ? b[b.length - 1].total : 0) || 1;
    fillBook($("#asks"), "asks", a, scale, true);
    fillBook($("#bids"), "bids", b, scale, false);
    var spread = $("[data-field=spread]", $("#spread"));
    if (spread) {
      if (asks.length && bids.length) {
        var s = Number(sorted("asks")[0]) - Number(sorted("bids")[0]);
        spread.textContent = "spread " + dec.num(s, PDP);
      } else spread.textContent = asks.length || bids.length ? "one-sided book" : "empty book";
    }
    if (depthChart) {
      var levels = function (side) { return sorted(side).map(function (p) { return [Number(p), Number(book[side].get(p))]; }); };
      depthChart.draw(levels("bids"), levels("asks"));
    }
  }

  function fillBook(tbody, side, levels, scale, reverse) {
    var frag = document.createDocumentFragment();
    var order = levels.map(function (l, i) { return i; });
    if (reverse) order.reverse();
    var mine = myPrices[side === "bids" ? "BUY" : "SELL"];
    var pad = function () {
      for (var k = levels.length; k < LEVELS; k++) {
        var empty = document.createElement("tr"), cell = td("");
        empty.className = "pad-row"; cell.colSpan = 3; empty.appendChild(cell); frag.appendChild(empty);
      }
    };
    if (reverse) pad();
    order.forEach(function (i) {
      var l = levels[i], tr = document.createElement("tr"), price = dec.fmt(l.price, PDP);
      tr.style.setProperty("--w", Math.round((l.total * 100) / scale) + "%");
      tr.dataset.price = l.price;
      tr.dataset.total = dec.num(l.total, QDP);
      tr.tabIndex = 0;
      tr.setAttribute("aria-label", (side === "bids" ? "Bid " : "Ask ") + price + ", amount " + dec.num(l.qty, QDP) +
                      ", total " + dec.num(l.total, QDP) + ": copy into the order form");
      if (mine.has(price)) tr.className = "mine";
      tr.appendChild(td(price, "num mono " + (side === "bids" ? "up" : "down")));
      tr.appendChild(td(dec.num(l.qty, QDP), "num mono"));
      tr.appendChild(td(dec.num(l.total, QDP), "num mono muted"));
      frag.appendChild(tr);
    });
    if (!reverse) pad();
    var focused = document.activeElement && tbody.contains(document.activeElement) ? document.activeElement.dataset.price : null;
    tbody.replaceChildren(frag);
    if (focused) { var again = $("tr[data-price='" + focused + "']", tbody); if (again) again.focus(); }
  }
  if (groupEl) groupEl.addEventListener("change", function () { if (book.ready) renderBook(); });

  // ================================================================== trades
  var tradesSeq = -1;
  var tradesBody = $("#trades tbody");
  function tradeRow(t) {
    var tr = document.createElement("tr");
    tr.dataset.tradeId = t.id;
    tr.appendChild(td(dec.fmt(t.price, PDP), "num mono " + (t.side === "BUY" ? "up" : "down")));
    tr.appendChild(td(dec.fmt(t.qty, QDP), "num mono"));
    tr.appendChild(td(QX.hms(t.time), "num mono muted"));
    return tr;
  }
  function onTrades(frame) {
    if (frame.event === "snapshot") {
      tradesSeq = frame.seq;
      var frag = document.createDocumentFragment();
      frame.data.slice().reverse().forEach(function (t) { frag.appendChild(tradeRow(t)); });
      if (!frame.data.length) {
        var empty = document.createElement("tr");
        empty.className = "empty";
        empty.appendChild(td("No trades yet.", "muted"));
        empty.firstChild.colSpan = 3;
        frag.appendChild(empty);
      }
      tradesBody.replaceChildren(frag);
      return;
    }
    if (frame.seq <= tradesSeq) return;
    if (tradesSeq >= 0 && frame.prev_seq > tradesSeq) { stream.resync("trades:" + SYM); return; }
    tradesSeq = frame.seq;
    $$("tr.empty", tradesBody).forEach(function (r) { r.remove(); });
    frame.data.forEach(function (t) {
      var row = tradeRow(t);
      row.classList.add(t.side === "BUY" ? "flash-up" : "flash-down");
      tradesBody.insertBefore(row, tradesBody.firstChild);
    });
    while (tradesBody.rows.length > 60) tradesBody.deleteRow(-1);
  }

  // ================================================================== ticker
  var lastPrice = null;
  function onTicker(frame) {
    var t = frame.data;
    $$("[data-field=last]").forEach(function (el) {
      if (t.last === null) return;
      var up = lastPrice === null || dec.cmp(t.last, lastPrice) >= 0;
      el.textContent = dec.fmt(t.last, PDP);
      el.classList.toggle("up", up); el.classList.toggle("down", !up);
    });
    if (t.last !== null) { lastPrice = t.last; market.onTicker.forEach(function (fn) { fn(); }); }
    var bar = $("#ticker");
    var set = function (field, text, cls) {
      var el = $("[data-field=" + field + "]", bar);
      if (!el) return;
      el.textContent = text;
      if (cls !== undefined) { el.classList.toggle("up", cls === "up"); el.classList.toggle("down", cls === "down"); }
    };
    if (t.change_pct !== null) {
      var neg = t.change_pct[0] === "-";
      set("change_pct", (neg ? "" : "+") + t.change_pct + "%", neg ? "down" : "up");
    }
    if (t.high !== null) set("high", dec.fmt(t.high, PDP));
    if (t.low !== null) set("low", dec.fmt(t.low, PDP));
    set("volume", dec.fmt(t.volume, QDP));
  }

  // ================================================================== chart
  var chart = null, candles = null, volumes = null, interval = cfg.intervals[0];
  function candleBar(c) {
    return { time: c.open_time / 1000, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) };
  }
  function volumeBar(c) {
    return { time: c.open_time / 1000, value: Number(c.volume),
             color: Number(c.close) >= Number(c.open) ? "rgba(31,176,122,.45)" : "rgba(229,72,77,.45)" };
  }
  function setupChart() {
    var el = $("#chart");
    if (!el || !window.LightweightCharts) return;
    var LW = window.LightweightCharts;
    chart = LW.createChart(el, {
      autoSize: true,
      layout: { background: { type: "solid", color: "#161c23" }, textColor: "#8a96a3", fontSize: 11, attributionLogo: true },
      grid: { vertLines: { color: "#1d252e" }, horzLines: { color: "#1d252e" } },
      // entireTextOnly: no half-clipped price label at the top or bottom edge
      rightPriceScale: { borderColor: "#26303b", scaleMargins: { top: 0.12, bottom: 0.22 }, entireTextOnly: true },
      timeScale: { borderColor: "#26303b", timeVisible: true, secondsVisible: false, rightOffset: 4, barSpacing: 8 },
      crosshair: { mode: 0 },
    });
    candles = chart.addSeries(LW.CandlestickSeries, {
      upColor: "#1fb07a", downColor: "#e5484d", borderVisible: false, wickUpColor: "#1fb07a", wickDownColor: "#e5484d",
      priceFormat: { type: "price", precision: PDP, minMove: Number(cfg.tick) },
    });
    volumes = chart.addSeries(LW.HistogramSeries, {
      priceFormat: { type: "volume" }, priceScaleId: "", lastValueVisible: false, priceLineVisible: false,
    });
    volumes.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
  }
  /* A short history fills the width with wider candles instead of a clump at the right edge. */
  function spaceBars(count) {
    var width = $("#chart").clientWidth || 600;
    var spacing = Math.max(6, Math.min(24, (width - 60) / (count + 4)));
    chart.timeScale().applyOptions({ barSpacing: spacing });
    chart.timeScale().scrollToRealTime();
  }
  var candleOpen = 0;
  function onCandles(frame) {
    if (!candles) return;
    if (frame.event === "snapshot") {
      candles.setData(frame.data.map(candleBar));
      volumes.setData(frame.data.map(volumeBar));
      candleOpen = frame.data.length ? frame.data[frame.data.length - 1].open_time : 0;
      spaceBars(frame.data.length);
      return;
    }
    var c = frame.data;
    if (c.open_time < candleOpen) return;                          // older than what the chart shows
    candleOpen = c.open_time;
    candles.update(candleBar(c));
    volumes.update(volumeBar(c));
  }
  function useInterval(name) {
    if (name !== interval) stream.unsubscribe("candles:" + SYM + ":" + interval);
    interval = name;
    $$("#intervals .seg").forEach(function (b) { b.setAttribute("aria-pressed", b.dataset.interval === name ? "true" : "false"); });
    stream.subscribe("candles:" + SYM + ":" + name, onCandles);
  }
  $$("#intervals .seg").forEach(function (b) {
    b.addEventListener("click", function () { useInterval(b.dataset.interval); });
  });

  market.book = book;
  market.sorted = sorted;
  /* My price levels ({BUY: Set, SELL: Set} of formatted prices), marked in the book. */
  market.setMine = function (prices) { myPrices = prices; if (book.ready) renderBook(); };

  setupChart();
  stream.subscribe("depth:" + SYM, onDepth);
  stream.subscribe("trades:" + SYM, onTrades);
  stream.subscribe("ticker:" + SYM, onTicker);
  useInterval(interval);
})();
