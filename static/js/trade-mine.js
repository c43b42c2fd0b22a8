/* The trading page, my part, live: open orders of every market (hide other pairs, cancel all),
 * order history, trade history, funds and the account value from the private streams; toasts for
 * what happens to my orders; cancel, amend and faucet forms submitted with fetch. Shares the
 * balances as QX.mine (trade-entry.js reads them). See docs/web.md.
 */
(function () {
  "use strict";
  var market = window.QX && QX.market;
  if (!market) return;
  var cfg = market.cfg, dec = QX.dec, stream = QX.stream, $ = market.$, $$ = market.$$, td = market.td;
  var SYM = cfg.symbol, PDP = cfg.priceDp, QDP = cfg.qtyDp, digits = market.digits, sideWord = market.sideWord;
  var book = market.book, sorted = market.sorted;
  if (!cfg.authenticated) return;

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
    // a trailing stop has no stop price: its current trigger price stands in (null before a trade)
    var stop = o.stop_price != null ? o.stop_price : o.trailing_delta ? o.trigger_price : null;
    set("stop_price", stop == null ? "" : dec.fmt(stop, pdp));
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
    var myPrices = { BUY: new Set(), SELL: new Set() };
    openRows().forEach(function (r) {
      if (r.dataset.symbol !== SYM) return;
      var p = $("[data-field=price]", r).textContent, side = $("[data-field=side]", r).textContent === "Buy" ? "BUY" : "SELL";
      if (p) myPrices[side].add(p);
    });
    market.setMine(myPrices);
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
    if (report.fills && report.fills.length) refreshSummary();
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
    var home = valueEl.dataset.home, total = 0, lastPrice = market.lastPrice();
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

  /* After my trades, the PnL (and the value) from the server, which knows positions and fees. */
  var summaryTimer = null;
  function refreshSummary() {
    var box = $("#account-summary");
    if (!box || summaryTimer) return;
    summaryTimer = setTimeout(function () {
      summaryTimer = null;
      fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) return;
          var pnl = $("[data-field=account-pnl]", box), n = Number(s.pnl);
          pnl.textContent = (n > 0 ? "+" : "") + dec.num(n, 2) + " " + s.home;
          pnl.classList.toggle("up", n > 0); pnl.classList.toggle("down", n < 0);
        }, function () { /* offline: the next fill tries again */ });
    }, 400);
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
    if (QX.entry) QX.entry.preview();
  }

  // ================================================================== cancel, cancel all, amend, faucet
  function order(o) {
    return { order_id: o.id, symbol: o.symbol, side: o.side, type: o.type, price: o.price, stop_price: o.stop_price,
             trailing_delta: o.trailing_delta, trigger_price: o.trigger_price, qty: o.qty,
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

  market.onTicker.push(function () { if (balancesSeq >= 0) accountValue(); });
  QX.mine = { balances: balances };
  $$("#balances tr[data-asset]").forEach(function (row) {
    balances[row.dataset.asset] = { asset: row.dataset.asset, free: $("[data-field=free]", row).textContent.trim(), locked: "0" };
  });
  stream.subscribe("orders", onOrders);
  stream.subscribe("balances", onBalances);
})();
