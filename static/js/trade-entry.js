/* The trading page, order entry: the form (submitted with fetch; the same POST works without
 * JavaScript), the fee/total preview, 25/50/75/100 % of the available balance, the confirmation of
 * market orders, book levels copied into the form (click or keyboard) and the phones' Buy/Sell bar.
 * See docs/web.md.
 */
(function () {
  "use strict";
  var market = window.QX && QX.market;
  if (!market) return;
  var cfg = market.cfg, dec = QX.dec, stream = QX.stream, $ = market.$, $$ = market.$$, td = market.td;
  var SYM = cfg.symbol, PDP = cfg.priceDp, QDP = cfg.qtyDp, digits = market.digits, sideWord = market.sideWord;
  var book = market.book, sorted = market.sorted;
  var balances = QX.mine ? QX.mine.balances : {};

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
    show("trailing_delta", type === "STOP_LOSS_LIMIT");
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
        price = asks.length ? asks[0] : market.lastPrice();
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

  QX.entry = { preview: preview };
  market.onBook.push(preview);
  preview();
})();
