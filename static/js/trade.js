/* The trading page, live: book (checksum-verified), trades, ticker, candles, my orders, fills and
 * balances from the WebSocket streams; the order, cancel, amend and faucet forms submitted with
 * fetch (the same POST endpoints that work without JavaScript). See docs/web.md.
 */
(function () {
  "use strict";
  var cfgEl = document.getElementById("market-config");
  if (!cfgEl || !window.QX) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var dec = QX.dec, stream = QX.stream;
  var SYM = cfg.symbol, PDP = cfg.priceDp, QDP = cfg.qtyDp, LEVELS = cfg.bookLevels, CHECKSUM_LEVELS = 10;
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  function td(text, cls) {
    var cell = document.createElement("td");
    if (cls) cell.className = cls;
    cell.textContent = text;
    return cell;
  }

  // ================================================================== order book
  var book = { seq: -1, bids: new Map(), asks: new Map(), ready: false };
  var myPrices = { BUY: new Set(), SELL: new Set() };
  var syncEl = $("#book-sync");

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
      if (frame.prev_seq !== book.seq) { resyncBook("gap " + book.seq + "→" + frame.prev_seq); return; }
      setLevels("bids", data.bids); setLevels("asks", data.asks);
      book.seq = frame.seq;
    }
    if (checksum() !== data.checksum) { resyncBook("checksum mismatch"); return; }
    bookSync(true, "✓ seq " + book.seq);
    renderBook();
    preview();
  }

  function resyncBook(why) {
    book.ready = false;
    bookSync(false, "resyncing (" + why + ")");
    stream.resync("depth:" + SYM);
  }

  stream.onHeartbeat.push(function (frame) {
    var seq = frame.seqs && frame.seqs["depth:" + SYM];
    if (book.ready && typeof seq === "number" && seq > book.seq) resyncBook("missed an update");
  });

  function renderSide(side) {
    var prices = sorted(side).slice(0, LEVELS);
    var rows = [], total = 0, totals = [];
    prices.forEach(function (p) { total += Number(book[side].get(p)); totals.push(total); });
    return { prices: prices, totals: totals, total: total };
  }

  function renderBook() {
    var asks = renderSide("asks"), bids = renderSide("bids");
    var scale = Math.max(asks.total, bids.total) || 1;
    fillBook($("#asks"), "asks", asks, scale, true);
    fillBook($("#bids"), "bids", bids, scale, false);
    var spread = $("[data-field=spread]", $("#spread"));
    if (spread) {
      if (asks.prices.length && bids.prices.length) {
        var s = Number(asks.prices[0]) - Number(bids.prices[0]);
        spread.textContent = "spread " + dec.num(s, PDP);
      } else spread.textContent = asks.prices.length || bids.prices.length ? "one-sided book" : "empty book";
    }
  }

  function fillBook(tbody, side, levels, scale, reverse) {
    var frag = document.createDocumentFragment();
    var order = levels.prices.map(function (p, i) { return i; });
    if (reverse) order.reverse();
    var mine = myPrices[side === "bids" ? "BUY" : "SELL"];
    var pad = function () {
      for (var k = levels.prices.length; k < LEVELS; k++) {
        var empty = document.createElement("tr"), cell = td("");
        empty.className = "pad-row"; cell.colSpan = 3; empty.appendChild(cell); frag.appendChild(empty);
      }
    };
    if (reverse) pad();
    order.forEach(function (i) {
      var p = levels.prices[i], tr = document.createElement("tr");
      tr.style.setProperty("--w", Math.round((levels.totals[i] * 100) / scale) + "%");
      tr.dataset.price = p;
      if (mine.has(dec.fmt(p, PDP))) tr.className = "mine";
      tr.appendChild(td(dec.fmt(p, PDP), "num mono " + (side === "bids" ? "up" : "down")));
      tr.appendChild(td(dec.fmt(book[side].get(p), QDP), "num mono"));
      tr.appendChild(td(dec.num(levels.totals[i], QDP), "num mono muted"));
      frag.appendChild(tr);
    });
    if (!reverse) pad();
    tbody.replaceChildren(frag);
  }

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
    if (t.last !== null) lastPrice = t.last;
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
      rightPriceScale: { borderColor: "#26303b" },
      timeScale: { borderColor: "#26303b", timeVisible: true, secondsVisible: false, rightOffset: 6, barSpacing: 8 },
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
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.22 } });
  }
  var candleOpen = 0;
  function onCandles(frame) {
    if (!candles) return;
    if (frame.event === "snapshot") {
      candles.setData(frame.data.map(candleBar));
      volumes.setData(frame.data.map(volumeBar));
      candleOpen = frame.data.length ? frame.data[frame.data.length - 1].open_time : 0;
      chart.timeScale().scrollToRealTime();
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

  // ================================================================== my orders and fills
  var ordersSeq = -1;
  var ordersBody = $("#open-orders tbody"), fillsBody = $("#fills tbody");
  var rowTemplate = $("#open-order-template");
  var TYPE_NAMES = { LIMIT: "Limit", MARKET: "Market", LIMIT_MAKER: "Limit maker", STOP_LOSS_LIMIT: "Stop-loss limit", TAKE_PROFIT_LIMIT: "Take-profit limit" };
  var STATUS_NAMES = { NEW: "New", PARTIALLY_FILLED: "Partially filled", FILLED: "Filled", CANCELED: "Canceled", REJECTED: "Rejected", EXPIRED: "Expired" };
  var OPEN = { NEW: true, PARTIALLY_FILLED: true };

  function orderRow(o) {
    var row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.orderId = o.order_id;
    $$("form", row).forEach(function (f) {
      f.setAttribute("action", f.getAttribute("action").replace(/\/0\/(cancel|amend)\/$/, "/" + o.order_id + "/$1/"));
    });
    $$("input[id^=amend-]", row).forEach(function (i) { i.id = "amend-" + o.order_id; });
    $$("label[for^=amend-]", row).forEach(function (l) { l.htmlFor = "amend-" + o.order_id; });
    var cancel = $("button.danger", row);
    if (cancel) cancel.setAttribute("aria-label", "Cancel order #" + o.order_id);
    updateOrderRow(row, o);
    return row;
  }
  function updateOrderRow(row, o) {
    var set = function (f, text) { var c = $("[data-field=" + f + "]", row); if (c) c.textContent = text; };
    set("id", "#" + o.order_id);
    set("side", o.side === "BUY" ? "Buy" : "Sell");
    var sideCell = $("[data-field=side]", row);
    sideCell.className = o.side === "BUY" ? "up" : "down";
    set("type", TYPE_NAMES[o.type] || o.type);
    set("price", o.price === null ? "" : dec.fmt(o.price, PDP));
    set("stop_price", o.stop_price === null ? "" : dec.fmt(o.stop_price, PDP));
    set("qty", o.qty === null ? "" : dec.fmt(o.qty, QDP));
    set("filled", dec.fmt(o.filled, QDP));
    set("remaining", dec.fmt(o.remaining, QDP));
    set("status", STATUS_NAMES[o.status] || o.status);
    var amend = $("input[name=qty]", row);
    if (amend) amend.placeholder = "< " + dec.fmt(o.remaining, QDP);
  }
  function emptyOrders() {
    var has = $$("tr[data-order-id]", ordersBody).filter(function (r) { return !r.classList.contains("gone"); }).length;
    var empty = $("tr.empty", ordersBody);
    if (!has && !empty) {
      empty = document.createElement("tr"); empty.className = "empty";
      var cell = td("No open orders.", "muted"); cell.colSpan = 10; empty.appendChild(cell);
      ordersBody.appendChild(empty);
    } else if (has && empty) empty.remove();
  }
  function markMine() {
    myPrices = { BUY: new Set(), SELL: new Set() };
    $$("tr[data-order-id]", ordersBody).forEach(function (r) {
      if (r.classList.contains("gone")) return;
      var p = $("[data-field=price]", r).textContent, side = $("[data-field=side]", r).textContent === "Buy" ? "BUY" : "SELL";
      if (p) myPrices[side].add(p);
    });
    if (book.ready) renderBook();
  }
  function upsertOrder(o) {
    var row = $("tr[data-order-id='" + o.order_id + "']", ordersBody);
    if (OPEN[o.status]) {
      if (row) updateOrderRow(row, o);
      else {
        row = orderRow(o);
        ordersBody.insertBefore(row, ordersBody.firstChild);
      }
    } else if (row) {
      updateOrderRow(row, o);
      row.classList.add("gone");
      setTimeout(function () { row.remove(); emptyOrders(); markMine(); }, 700);
    }
  }
  function fillRow(report, f) {
    var tr = document.createElement("tr");
    tr.dataset.tradeId = f.trade_id;
    tr.dataset.liquidity = f.liquidity;
    tr.appendChild(td(QX.hms(f.time), "mono muted"));
    tr.appendChild(td("#" + report.order_id, "mono"));
    tr.appendChild(td(report.side === "BUY" ? "Buy" : "Sell", report.side === "BUY" ? "up" : "down"));
    tr.appendChild(td(dec.fmt(f.price, PDP), "num mono"));
    tr.appendChild(td(dec.fmt(f.qty, QDP), "num mono"));
    tr.appendChild(td(dec.fmt(f.fee, 2) + " " + f.fee_asset, "num mono"));
    tr.appendChild(td(f.liquidity === "MAKER" ? "Maker" : "Taker", "muted"));
    tr.classList.add(report.side === "BUY" ? "flash-up" : "flash-down");
    return tr;
  }
  function onOrders(frame) {
    if (!ordersBody) return;
    if (frame.event === "snapshot") {
      ordersSeq = frame.seq;
      $$("tr", ordersBody).forEach(function (r) { r.remove(); });
      frame.data.filter(function (o) { return o.symbol === SYM; }).reverse().forEach(function (o) { ordersBody.appendChild(orderRow(o)); });
      emptyOrders(); markMine();
      return;
    }
    if (frame.seq <= ordersSeq) return;
    if (ordersSeq >= 0 && frame.prev_seq !== ordersSeq) { stream.resync("orders"); return; }
    ordersSeq = frame.seq;
    var report = frame.data;
    if (report.symbol !== SYM) return;
    upsertOrder(report);
    if (fillsBody && report.fills && report.fills.length) {
      $$("tr.empty", fillsBody).forEach(function (r) { r.remove(); });
      report.fills.forEach(function (f) {
        if ($("tr[data-trade-id='" + f.trade_id + "'][data-liquidity='" + f.liquidity + "']", fillsBody)) return;
        fillsBody.insertBefore(fillRow(report, f), fillsBody.firstChild);
      });
      while (fillsBody.rows.length > 50) fillsBody.deleteRow(-1);
    }
    emptyOrders(); markMine();
  }

  // ================================================================== balances
  var balances = {};
  var balancesSeq = -1;
  function showBalance(b) {
    balances[b.asset] = b;
    var row = $("#balances tr[data-asset='" + b.asset + "']");
    if (row) {
      var free = $("[data-field=free]", row), locked = $("[data-field=locked]", row);
      var text = dec.fmt(b.free, 2);
      if (free.textContent !== text) { free.textContent = text; row.classList.remove("flash-up"); void row.offsetWidth; row.classList.add("flash-up"); }
      locked.textContent = dec.fmt(b.locked, 2);
    }
    $$("[data-available='" + b.asset + "']").forEach(function (el) { el.textContent = dec.fmt(b.free, 2); });
  }
  function onBalances(frame) {
    if (frame.event === "update") {
      if (frame.seq <= balancesSeq) return;
      if (balancesSeq >= 0 && frame.prev_seq !== balancesSeq) { stream.resync("balances"); return; }
    }
    balancesSeq = frame.seq;
    frame.data.forEach(showBalance);
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
  function layout() {
    var type = field("type").value;
    show("stop_price", !!STOP_TYPES[type]);
    show("price", type !== "MARKET");
    show("quote_qty", type === "MARKET");
    show("tif", type !== "MARKET" && type !== "LIMIT_MAKER");
    form.dataset.side = side();
    $("#order-submit").textContent = (side() === "BUY" ? "Buy " : "Sell ") + cfg.base;
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
    }
    var needs = s === "BUY" ? value : base, asset = s === "BUY" ? cfg.quote : cfg.base;
    var free = balances[asset] ? Number(balances[asset].free) : null;
    Object.keys(out).forEach(function (k) { var el = $("[data-preview=" + k + "]", form); if (el) el.textContent = out[k]; });
    var costEl = $("[data-preview=cost]", form);
    if (costEl) costEl.classList.toggle("down", free !== null && needs > free);
    $$("[data-available]", form).forEach(function (el) { el.parentNode.classList.toggle("active", el.dataset.available === asset); });
  }
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
  if (form) {
    form.addEventListener("change", layout);
    form.addEventListener("input", preview);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
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
          if (notes) notes.innerHTML = "";
          showErrors(r.body);
          if (r.body.client_order_id) field("client_order_id").value = r.body.client_order_id;
        }
      });
    });
    // Clicking a book level fills the price (and the opposite side), like most exchanges.
    $("#book").addEventListener("click", function (event) {
      var row = event.target.closest("tr[data-price]");
      if (!row || field("price").disabled) return;
      field("price").value = dec.fmt(row.dataset.price, PDP);
      preview();
    });
    layout();
  }

  // ================================================================== cancel, amend, faucet
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
        if (r.ok && r.body.order) {
          var o = r.body.order;
          upsertOrder({ order_id: o.id, side: o.side, type: o.type, price: o.price, stop_price: o.stop_price, qty: o.qty,
                        filled: o.filled, remaining: o.remaining, status: o.status });
          var details = f.closest("details"); if (details) details.open = false;
          emptyOrders(); markMine();
        }
      });
    });
  }
  enhance(ordersBody, ".cancel-form, .amend-form", "orders-notes");
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
