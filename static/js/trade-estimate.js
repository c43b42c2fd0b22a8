/* The trading page, order estimate: as the trader types, the order form is tested against the
 * engine (the page's POST /markets/<SYMBOL>/order/test/, the service of POST /api/v1/orders/test/)
 * and the answer is shown under the form: "Would fill X at avg Y, fee Z · rests W · holds H", or
 * why a place would be refused. Debounced (300 ms), one request at a time, the latest wins; the
 * book moving re-tests at most every 2 s. Nothing is placed. See docs/web.md.
 */
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  var out = document.getElementById("order-estimate");
  if (!form || !out || !form.dataset.testUrl || !window.fetch) return;
  var DEBOUNCE_MS = 300, BOOK_MS = 2000;
  var timer = null, seq = 0, shown = 0, lastSent = 0, wanted = false;

  function value(name) { var el = form.elements[name]; return el && !el.disabled ? String(el.value || "").trim() : ""; }
  /* Worth asking only once there is an amount (or a market order's total). */
  function ready() { return value("qty") !== "" || value("quote_qty") !== ""; }
  function show(text, refused) {
    out.textContent = text;
    out.classList.toggle("refused", !!refused);
    out.hidden = !text;
  }
  function send() {
    timer = null;
    wanted = ready();
    if (!wanted) { seq++; show(""); return; }
    var data = new FormData(form), mine = ++seq;
    data.delete("client_order_id"); data.delete("next");  // a test uses no id up; nothing to go back to
    lastSent = Date.now();
    fetch(form.dataset.testUrl, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (mine < shown || mine !== seq) return;  // a later request is under way or answered
        shown = mine;
        if (body.throttled) return;
        show(body.text || "", !body.ok);
      })
      .catch(function () { if (mine === seq) show(""); });  // no answer: no estimate rather than a stale one
  }
  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(send, DEBOUNCE_MS);
  }
  /* Any change of what the form would send: typing, and also values set by script (a book level
   * clicked, 25/50/75/100 %, the form cleared after a placed order), caught by a cheap poll. */
  var FIELDS = ["type", "stop_price", "price", "qty", "quote_qty", "tif"], last = null;
  function check() {
    var side = form.querySelector("input[name=side]:checked");
    var now = (side ? side.value : "") + "|" + FIELDS.map(value).join("|");
    if (now === last) return;
    last = now;
    schedule();
  }
  form.addEventListener("input", check);
  form.addEventListener("change", check);
  setInterval(check, 250);
  var market = window.QX && QX.market;
  if (market && market.onBook) {
    market.onBook.push(function () {
      if (wanted && !timer && Date.now() - lastSent > BOOK_MS) schedule();
    });
  }
})();
