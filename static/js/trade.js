/* The trading page, live: book (checksum-verified, grouped on request), depth chart, trades, ticker,
 * candles, my orders of every market, order history, fills and funds from the WebSocket streams;
 * toasts for what happens to my orders; the order, cancel, cancel-all, amend and faucet forms
 * submitted with fetch (the same POST endpoints that work without JavaScript). See docs/web.md.
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

  // ================================================================== views (phones) and tabs
  $$("#view-tabs [data-view]").forEach(function (tab) {
    tab.addEventListener("click", function () {
      page.dataset.view = tab.dataset.view;
      $$("#view-tabs [data-view]").forEach(function (t) { t.setAttribute("aria-selected", t === tab ? "true" : "false"); });
      if (depthChart) depthChart.redraw();
    });
  });
  var mineTabs = $$("#mine-tabs [role=tab]");
  function showTab(tab) {
    mineTabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
  }
  mineTabs.forEach(function (t, i) {
    t.addEventListener("click", function () { showTab(t); });
    t.addEventListener("keydown", function (e) {
      var step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      var next = mineTabs[(i + step + mineTabs.length) % mineTabs.length];
      showTab(next); next.focus();
    });
  });
  if (mineTabs.length) showTab(mineTabs[0]);

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
    preview();
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
    if (t.last !== null) { lastPrice = t.last; if (balancesSeq >= 0) accountValue(); }
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
      rightPriceScale: { borderColor: "#26303b", scaleMargins: { top: 0.12, bottom: 0.22 } },
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

  // ================================================================== my orders, history, fills
  var ordersSeq = -1;
  var ordersBody = $("#open-orders tbody"), fillsBody = $("#fills tbody"), historyBody = $("#order-history tbody");
  var rowTemplate = $("#open-order-template");
  var TYPE_NAMES = { LIMIT: "Limit", MARKET: "Market", LIMIT_MAKER: "Limit maker", STOP_LOSS_LIMIT: "Stop-loss limit", TAKE_PROFIT_LIMIT: "Take-profit limit" };
  var STATUS_NAMES = { NEW: "New", PARTIALLY_FILLED: "Partially filled", FILLED: "Filled", CANCELED: "Canceled", REJECTED: "Rejected", EXPIRED: "Expired" };
  var OPEN = { NEW: true, PARTIALLY_FILLED: true };

  function orderRow(o) {
    var row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.orderId = o.order_id;
    row.dataset.symbol = o.symbol;
    if (o.symbol !== SYM) row.classList.add("other");
    $$("form", row).forEach(function (f) {
      f.setAttribute("action", f.getAttribute("action").replace(/\/0\/(cancel|amend)\/$/, "/" + o.order_id + "/$1/"));
    });
    $$("input[id^=amend-]", row).forEach(function (i) { i.id = "amend-" + o.order_id; });
    $$("label[for^=amend-]", row).forEach(function (l) { l.htmlFor = "amend-" + o.order_id; });
    var cancel = $("button.danger", row);
    if (cancel) cancel.setAttribute("aria-label", "Cancel order #" + o.order_id);
    var link = document.createElement("a");
    link.href = "/markets/" + encodeURIComponent(o.symbol) + "/";
    link.textContent = o.symbol;
    $("[data-field=symbol]", row).replaceChildren(link);
    updateOrderRow(row, o);
    return row;
  }
  function updateOrderRow(row, o) {
    var d = digits(o.symbol), pdp = d[0], qdp = d[1];
    var set = function (f, text) { var c = $("[data-field=" + f + "]", row); if (c) c.textContent = text; };
    set("side", sideWord(o.side));
    $("[data-field=side]", row).className = o.side === "BUY" ? "up" : "down";
    set("type", TYPE_NAMES[o.type] || o.type);
    set("price", o.price === null ? "" : dec.fmt(o.price, pdp));
    set("stop_price", o.stop_price === null ? "" : dec.fmt(o.stop_price, pdp));
    set("qty", o.qty === null ? "" : dec.fmt(o.qty, qdp));
    set("filled", dec.fmt(o.filled, qdp));
    set("remaining", dec.fmt(o.remaining, qdp));
    set("status", STATUS_NAMES[o.status] || o.status);
    var amend = $("input[name=qty]", row);
    if (amend) amend.placeholder = "< " + dec.fmt(o.remaining, qdp);
  }
  function openRows() {
    return $$("tr[data-order-id]", ordersBody).filter(function (r) { return !r.classList.contains("gone"); });
  }
  function emptyOrders() {
    var shown = openRows().filter(function (r) { return !(hideOthers() && r.classList.contains("other")); });
    var empty = $("tr.empty", ordersBody);
    if (empty) empty.hidden = shown.length > 0;
    var count = $("#open-count");
    if (count) count.textContent = String(shown.length);
  }
  function markMine() {
    myPrices = { BUY: new Set(), SELL: new Set() };
    openRows().forEach(function (r) {
      if (r.dataset.symbol !== SYM) return;
      var p = $("[data-field=price]", r).textContent, side = $("[data-field=side]", r).textContent === "Buy" ? "BUY" : "SELL";
      if (p) myPrices[side].add(p);
    });
    if (book.ready) renderBook();
  }
  function historyRow(o) {
    var tr = document.createElement("tr");
    tr.dataset.orderId = o.order_id;
    tr.appendChild(td(new Date(o.time || Date.now()).toISOString().slice(5, 19).replace("T", " "), "mono muted"));
    tr.appendChild(td(sideWord(o.side), o.side === "BUY" ? "up" : "down"));
    tr.appendChild(td(TYPE_NAMES[o.type] || o.type));
    tr.appendChild(td(o.price === null ? "Market" : dec.fmt(o.price, PDP), "num mono"));
    tr.appendChild(td(o.qty === null ? dec.fmt(o.quote_qty, PDP) + " " + cfg.quote : dec.fmt(o.qty, QDP), "num mono"));
    tr.appendChild(td(dec.fmt(o.filled, QDP), "num mono"));
    tr.appendChild(td(STATUS_NAMES[o.status] || o.status, "small"));
    return tr;
  }
  function upsertOrder(o) {
    if (!ordersBody) return;
    var row = $("tr[data-order-id='" + o.order_id + "']", ordersBody);
    if (OPEN[o.status]) {
      if (row) updateOrderRow(row, o);
      else ordersBody.insertBefore(orderRow(o), ordersBody.firstChild);
    } else {
      if (row) {
        updateOrderRow(row, o);
        row.classList.add("gone");
        setTimeout(function () { row.remove(); emptyOrders(); markMine(); }, 700);
      }
      if (historyBody && o.symbol === SYM && !$("tr[data-order-id='" + o.order_id + "']", historyBody)) {
        var none = $("tr.empty", historyBody); if (none) none.hidden = true;
        historyBody.insertBefore(historyRow(o), historyBody.firstChild);
      }
    }
    emptyOrders();
  }
  function fillRow(report, f) {
    var tr = document.createElement("tr");
    tr.dataset.tradeId = f.trade_id;
    tr.dataset.liquidity = f.liquidity;
    tr.appendChild(td(QX.hms(f.time), "mono muted"));
    tr.appendChild(td(sideWord(report.side), report.side === "BUY" ? "up" : "down"));
    tr.appendChild(td(dec.fmt(f.price, PDP), "num mono"));
    tr.appendChild(td(dec.fmt(f.qty, QDP), "num mono"));
    tr.appendChild(td(dec.fmt(f.fee, 2) + " " + f.fee_asset, "num mono"));
    tr.appendChild(td(f.liquidity === "MAKER" ? "Maker" : "Taker", "muted"));
    tr.classList.add(report.side === "BUY" ? "flash-up" : "flash-down");
    return tr;
  }

  /* A toast for what happened to one of my orders (any market): fills, cancels, rejections, expiry. */
  function toastFor(r) {
    var d = digits(r.symbol), base = r.symbol.split("-")[0], quote = r.symbol.split("-")[1];
    var what = sideWord(r.side) + " " + (TYPE_NAMES[r.type] || r.type).toLowerCase() + " · " + r.symbol;
    if (r.fills && r.fills.length) {
      var qty = 0, value = 0;
      r.fills.forEach(function (f) { qty += Number(f.qty); value += Number(f.qty) * Number(f.price); });
      var title = r.status === "FILLED" ? "Order filled" : "Order partly filled";
      QX.toast("success", title, what + ": " + dec.num(qty, d[1]) + " " + base + " at " +
               (r.fills.length > 1 ? "an average " : "") + dec.num(value / qty, d[0]) + " " + quote + ".");
      return;
    }
    var open = r.qty === null ? "" : ", " + dec.num(Number(r.qty) - Number(r.filled), d[1]) + " " + base +
               (r.price === null ? "" : " at " + dec.fmt(r.price, d[0]) + " " + quote);
    var why = !r.reason ? "" : ": " + (cfg.reasons[r.reason] || r.reason.replace(/^[A-Z]+_/, "").replace(/_/g, " ").toLowerCase());
    if (r.status === "CANCELED") QX.toast("info", "Order canceled", what + open + ".");
    else if (r.status === "EXPIRED") QX.toast("warning", "Order expired", what + why + ".");
    else if (r.status === "REJECTED") QX.toast("error", "Order rejected", what + why + ".");
  }

  function onOrders(frame) {
    if (frame.event === "snapshot") {
      ordersSeq = frame.seq;
      if (!ordersBody) return;
      openRows().forEach(function (r) { r.remove(); });
      var empty = $("tr.empty", ordersBody);
      frame.data.forEach(function (o) { ordersBody.insertBefore(orderRow(o), empty); });
      emptyOrders(); markMine();
      return;
    }
    if (frame.seq <= ordersSeq) return;
    if (ordersSeq >= 0 && frame.prev_seq !== ordersSeq) { stream.resync("orders"); return; }
    ordersSeq = frame.seq;
    var report = frame.data;
    toastFor(report);
    upsertOrder(report);
    if (report.symbol === SYM && fillsBody && report.fills && report.fills.length) {
      var none = $("tr.empty", fillsBody); if (none) none.hidden = true;
      report.fills.forEach(function (f) {
        if ($("tr[data-trade-id='" + f.trade_id + "'][data-liquidity='" + f.liquidity + "']", fillsBody)) return;
        fillsBody.insertBefore(fillRow(report, f), fillsBody.firstChild);
      });
      while (fillsBody.rows.length > 50) fillsBody.deleteRow(-2);
    }
    markMine();
  }

  var hideBox = $("#hide-others"), openTable = $("#open-orders"), cancelAll = $("#cancel-all");
  function hideOthers() { return !hideBox || hideBox.checked; }
  if (hideBox) {
    hideBox.addEventListener("change", function () {
      openTable.classList.toggle("hide-others", hideBox.checked);
      cancelAll.elements.scope.value = hideBox.checked ? "market" : "all";
      emptyOrders();
    });
  }

  // ================================================================== balances and funds
  var balances = {};
  var balancesSeq = -1;
  function showBalance(b) {
    balances[b.asset] = b;
    $$("#balances tr[data-asset='" + b.asset + "'], #funds tr[data-asset='" + b.asset + "']").forEach(function (row) {
      var free = $("[data-field=free]", row), locked = $("[data-field=locked]", row);
      var text = dec.fmt(b.free, 2);
      if (free.textContent !== text) { free.textContent = text; row.classList.remove("flash-up"); void row.offsetWidth; row.classList.add("flash-up"); }
      locked.textContent = dec.fmt(b.locked, 2);
    });
    $$("[data-available='" + b.asset + "']").forEach(function (el) { el.textContent = dec.fmt(b.free, 2); });
  }
  /* A row in Funds for an asset first received while the page is open (a faucet, a trade). */
  function ensureFundsRows(list) {
    var body = $("#funds tbody");
    if (!body) return;
    list.forEach(function (b) {
      if ($("tr[data-asset='" + b.asset + "']", body)) return;
      var tr = document.createElement("tr"), th = document.createElement("th");
      tr.dataset.asset = b.asset; th.scope = "row"; th.textContent = b.asset; tr.appendChild(th);
      ["free", "locked", "value"].forEach(function (f) { var c = td(f === "value" ? "—" : "", "num mono" + (f === "value" ? " muted" : "")); c.dataset.field = f; tr.appendChild(c); });
      body.appendChild(tr);
    });
  }

  /* The account's value in its home currency (USD), live: balances × last prices. The prices come
   * with the page; this market's base follows the live last price when it is quoted in USD. */
  var valueEl = $("[data-field=account-value]"), homePrices = {};
  $$("#funds tr[data-home-price]").forEach(function (row) { homePrices[row.dataset.asset] = Number(row.dataset.homePrice); });
  function accountValue() {
    if (!valueEl) return;
    var home = valueEl.dataset.home, total = 0;
    if (lastPrice !== null && cfg.quote === home) homePrices[cfg.base] = Number(lastPrice);
    homePrices[home] = 1;
    $$("#funds tr[data-asset]").forEach(function (row) {
      var b = balances[row.dataset.asset], price = homePrices[row.dataset.asset];
      if (!b || price === undefined) return;
      var value = (Number(b.free) + Number(b.locked)) * price;
      $("[data-field=value]", row).textContent = dec.num(value, 2);
      total += value;
    });
    valueEl.textContent = dec.num(total, 2) + " " + home;
  }

  function onBalances(frame) {
    if (frame.event === "update") {
      if (frame.seq <= balancesSeq) return;
      if (balancesSeq >= 0 && frame.prev_seq !== balancesSeq) { stream.resync("balances"); return; }
    }
    balancesSeq = frame.seq;
    ensureFundsRows(frame.data);
    frame.data.forEach(showBalance);
    var hint = $("#funds-hint");
    if (hint && frame.data.some(function (b) { return !dec.isZero(b.free) || !dec.isZero(b.locked); })) hint.hidden = true;
    accountValue();
    preview();
  }

  // ================================================================== order entry
  var form = $("#order-form");
  var STOP_TYPES = { STOP_LOSS_LIMIT: true, TAKE_PROFIT_LIMIT: true };
  function field(name) { return form && form.elements[name]; }
  function show(name, visible) {
    var box = $(".field[data-for=" + name + "]", form);
    if (!box) return;
    box.hidden = !visible;
    $$("input, select", box).forEach(function (i) { i.disabled = !visible; });
  }
  function side() { var s = $("input[name=side]:checked", form); return s ? s.value : "BUY"; }
  function setSide(value) {
    var radio = $("input[name=side][value=" + value + "]", form);
    if (radio) radio.checked = true;
    layout();
  }
  function layout() {
    var type = field("type").value;
    show("stop_price", !!STOP_TYPES[type]);
    show("price", type !== "MARKET");
    show("quote_qty", type === "MARKET");
    show("tif", type !== "MARKET" && type !== "LIMIT_MAKER");
    form.dataset.side = side();
    $("#order-submit").textContent = sideWord(side()) + " " + cfg.base;
    preview();
  }
  /* Walks the book for a market order: [base filled, quote value] for `qty` base or `quote` quote. */
  function walk(bookSide, qty, quote) {
    var prices = sorted(bookSide), gotBase = 0, gotQuote = 0;
    for (var i = 0; i < prices.length; i++) {
      var p = Number(prices[i]), q = Number(book[bookSide].get(prices[i]));
      if (qty !== null) { var take = Math.min(q, qty - gotBase); gotBase += take; gotQuote += take * p; if (gotBase >= qty) break; }
      else { var spend = Math.min(q * p, quote - gotQuote); gotQuote += spend; gotBase += spend / p; if (gotQuote >= quote) break; }
    }
    return [gotBase, gotQuote];
  }
  var lastPreview = null;
  function preview() {
    if (!form) return;
    var type = field("type").value, s = side();
    var price = Number(field("price").value), qty = Number(field("qty").value), quote = Number(field("quote_qty").value);
    var fee = Number(cfg.takerFee), out = { cost: "—", fee: "—", receive: "—" };
    var base = 0, value = 0, estimated = false;
    if (type === "MARKET") {
      var bookSide = s === "BUY" ? "asks" : "bids";
      var filled = field("qty").value ? walk(bookSide, qty, null) : field("quote_qty").value ? walk(bookSide, null, quote) : [0, 0];
      base = filled[0]; value = filled[1]; estimated = true;
    } else if (price > 0 && qty > 0) {
      base = qty; value = price * qty;
    }
    if (base > 0 && value > 0) {
      var approx = estimated ? "≈ " : "";
      if (s === "BUY") {
        out.cost = approx + dec.num(value, PDP) + " " + cfg.quote;
        out.fee = "≤ " + dec.num(base * fee, QDP + 2) + " " + cfg.base;
        out.receive = "≥ " + dec.num(base * (1 - fee), QDP) + " " + cfg.base;
      } else {
        out.cost = approx + dec.num(base, QDP) + " " + cfg.base;
        out.fee = "≤ " + dec.num(value * fee, PDP + 2) + " " + cfg.quote;
        out.receive = "≥ " + dec.num(value * (1 - fee), PDP) + " " + cfg.quote;
      }
      if (estimated) out.price = "≈ " + dec.num(value / base, PDP) + " " + cfg.quote;
    }
    lastPreview = out;
    var needs = s === "BUY" ? value : base, asset = s === "BUY" ? cfg.quote : cfg.base;
    var free = balances[asset] ? Number(balances[asset].free) : null;
    Object.keys(out).forEach(function (k) { var el = $("[data-preview=" + k + "]", form); if (el) el.textContent = out[k]; });
    var costEl = $("[data-preview=cost]", form);
    if (costEl) costEl.classList.toggle("down", free !== null && needs > free);
    $$("[data-available]", form).forEach(function (el) { el.parentNode.classList.toggle("active", el.dataset.available === asset); });
  }

  /* 25/50/75/100 % of what is available: the amount (or a market buy's total) that balance allows,
   * rounded down to the lot (or the tick), computed exactly on decimal strings. */
  function fillPercent(pct) {
    var type = field("type").value, s = side(), share = String(pct / 100);
    var asset = s === "BUY" ? cfg.quote : cfg.base;
    var free = balances[asset] ? balances[asset].free : "0";
    var budget = dec.mul(free, share);
    if (s === "SELL") {
      field("qty").value = dec.fmt(dec.mul(String(dec.fits(budget, cfg.lot)), cfg.lot), QDP);
      field("quote_qty").value = "";
    } else if (type === "MARKET") {
      field("quote_qty").value = dec.fmt(dec.mul(String(dec.fits(budget, cfg.tick)), cfg.tick), PDP);
      field("qty").value = "";
    } else {
      var price = field("price").value;
      if (!(Number(price) > 0)) {
        var asks = sorted("asks");
        price = asks.length ? asks[0] : lastPrice;
        if (!price) return;
        field("price").value = dec.fmt(price, PDP);
      }
      field("qty").value = dec.fmt(dec.mul(String(dec.fits(budget, dec.mul(price, cfg.lot))), cfg.lot), QDP);
    }
    preview();
  }
  $$("#pct-buttons [data-pct]").forEach(function (b) {
    b.addEventListener("click", function () { fillPercent(Number(b.dataset.pct)); });
  });

  function clearErrors() {
    $$(".field-error", form).forEach(function (e) { e.remove(); });
    var top = $("#order-error");
    top.hidden = true; top.textContent = "";
  }
  function showErrors(body) {
    var top = $("#order-error");
    var messages = [];
    if (body.message) messages.push(body.message);
    Object.keys(body.errors || {}).forEach(function (name) {
      var box = $(".field[data-for=" + name + "]", form);
      if (!box || box.hidden) { messages = messages.concat(body.errors[name]); return; }
      body.errors[name].forEach(function (text) {
        var p = document.createElement("p");
        p.className = "field-error"; p.setAttribute("role", "alert"); p.textContent = text;
        box.appendChild(p);
      });
    });
    if (messages.length) { top.textContent = messages.join(" "); top.hidden = false; }
  }
  function newClientOrderId() {
    var hex = (window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Math.random()) + Date.now()).replace(/[^0-9a-f]/g, "");
    return "web-" + hex.slice(0, 24);
  }

  // Market orders ask for a confirmation first, unless the trader turned it off (kept per browser).
  var CONFIRM_KEY = "qx.confirmMarket", confirmBox = $("#confirm-market"), dialog = $("#confirm-dialog");
  function confirmWanted() { try { return localStorage.getItem(CONFIRM_KEY) !== "off"; } catch (e) { return true; } }
  function setConfirmWanted(on) { try { localStorage.setItem(CONFIRM_KEY, on ? "on" : "off"); } catch (e) { /* private mode */ } if (confirmBox) confirmBox.checked = on; }
  if (confirmBox) {
    confirmBox.checked = confirmWanted();
    confirmBox.addEventListener("change", function () { setConfirmWanted(confirmBox.checked); });
  }
  function confirmMarket(send) {
    if (!dialog || !dialog.showModal || field("type").value !== "MARKET" || !confirmWanted()) { send(); return; }
    var rows = [["Side", sideWord(side()) + " " + cfg.base + " at market"],
                ["Amount", field("qty").value ? field("qty").value + " " + cfg.base : "for " + field("quote_qty").value + " " + cfg.quote],
                ["Estimated price", (lastPreview && lastPreview.price) || "—"],
                [side() === "BUY" ? "Estimated cost" : "You sell", lastPreview ? lastPreview.cost : "—"],
                ["Fee (taker)", lastPreview ? lastPreview.fee : "—"],
                ["You receive", lastPreview ? lastPreview.receive : "—"]];
    var list = $("#confirm-summary");
    list.replaceChildren();
    rows.forEach(function (r) {
      var div = document.createElement("div"), dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = r[0]; dd.textContent = r[1]; dd.className = "mono";
      div.appendChild(dt); div.appendChild(dd); list.appendChild(div);
    });
    $("#confirm-skip").checked = false;
    dialog.onclose = function () {
      if (dialog.returnValue !== "ok") return;
      if ($("#confirm-skip").checked) setConfirmWanted(false);
      send();
    };
    dialog.returnValue = "";
    dialog.showModal();
    $("#confirm-ok").focus();
  }

  function send() {
    var button = $("#order-submit");
    button.disabled = true;
    clearErrors();
    QX.submitForm(form).then(function (r) {
      button.disabled = false;
      var notes = $("#order-notes");
      if (r.ok) {
        QX.note(notes, r.body.level, r.body.message);
        field("client_order_id").value = newClientOrderId();
        field("qty").value = ""; field("quote_qty").value = "";
        preview();
      } else {
        QX.note(null);
        showErrors(r.body);
        if (r.body.client_order_id) field("client_order_id").value = r.body.client_order_id;
      }
    });
  }
  if (form) {
    form.addEventListener("change", layout);
    form.addEventListener("input", preview);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      confirmMarket(send);
    });
    // A book level fills the price and the total amount up to it, on the side that would trade with
    // it (an ask -> buy, a bid -> sell), like most exchanges. Click, Enter or Space.
    var pick = function (row) {
      if (!row) return;
      setSide(row.closest("#asks") ? "BUY" : "SELL");
      if (!field("price").disabled) field("price").value = dec.fmt(row.dataset.price, PDP);
      field("qty").value = row.dataset.total;
      field("quote_qty").value = "";
      preview();
      if (window.matchMedia && window.matchMedia("(max-width: 760px)").matches) $("#entry").scrollIntoView({ block: "start" });
    };
    $("#book").addEventListener("click", function (event) { pick(event.target.closest("tr[data-price]")); });
    $("#book").addEventListener("keydown", function (event) {
      var row = event.target.closest && event.target.closest("tr[data-price]");
      if (!row) return;
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(row); }
      else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        var rows = $$("#book tr[data-price]"), i = rows.indexOf(row) + (event.key === "ArrowDown" ? 1 : -1);
        if (rows[i]) { event.preventDefault(); rows[i].focus(); }
      }
    });
    // Phones: the sticky Buy / Sell bar opens the order form on that side.
    $$("#buy-sell-bar [data-side]").forEach(function (b) {
      b.addEventListener("click", function () {
        setSide(b.dataset.side);
        $("#entry").scrollIntoView({ block: "start" });
        var target = field("price").disabled ? field("qty") : field("price");
        if (target) target.focus({ preventScroll: true });
      });
    });
    layout();
  }

  // ================================================================== cancel, cancel all, amend, faucet
  function order(o) {
    return { order_id: o.id, symbol: o.symbol, side: o.side, type: o.type, price: o.price, stop_price: o.stop_price, qty: o.qty,
             quote_qty: o.quote_qty, filled: o.filled, remaining: o.remaining, status: o.status, time: Date.now() };
  }
  function enhance(root, selector, notesId) {
    if (!root) return;
    root.addEventListener("submit", function (event) {
      var f = event.target;
      if (!f.matches(selector)) return;
      event.preventDefault();
      var button = $("button[type=submit]", f);
      if (button) button.disabled = true;
      QX.submitForm(f).then(function (r) {
        if (button) button.disabled = false;
        QX.note(document.getElementById(notesId), r.body.level || (r.ok ? "success" : "error"), r.body.message);
        if (!r.ok) return;
        if (r.body.order) {
          upsertOrder(order(r.body.order));
          var details = f.closest("details"); if (details) details.open = false;
        }
        (r.body.orders || []).forEach(function (o) { upsertOrder(order(o)); });
        markMine();
      });
    });
  }
  enhance(ordersBody, ".cancel-form, .amend-form", "orders-notes");
  enhance(cancelAll && cancelAll.parentNode, ".cancel-all-form", "orders-notes");
  enhance($(".faucet"), ".faucet-form", "faucet-notes");

  // ================================================================== subscriptions
  setupChart();
  stream.subscribe("depth:" + SYM, onDepth);
  stream.subscribe("trades:" + SYM, onTrades);
  stream.subscribe("ticker:" + SYM, onTicker);
  useInterval(interval);
  if (cfg.authenticated) {
    $$("#balances tr[data-asset]").forEach(function (row) {
      balances[row.dataset.asset] = { asset: row.dataset.asset, free: $("[data-field=free]", row).textContent.trim(), locked: "0" };
    });
    stream.subscribe("orders", onOrders);
    stream.subscribe("balances", onBalances);
  }
  preview();
})();
