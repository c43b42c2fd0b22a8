/* Balances page, live: the `balances` stream (snapshot, then the assets each batch changed). */
(function () {
  "use strict";
  if (!window.QX) return;
  var dec = QX.dec, body = document.querySelector("#balances tbody");
  var seq = -1;
  function row(asset) {
    var tr = body.querySelector("tr[data-asset='" + asset + "']");
    if (tr) return tr;
    var empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    tr = document.createElement("tr");
    tr.dataset.asset = asset;
    var th = document.createElement("th"); th.scope = "row"; th.textContent = asset; tr.appendChild(th);
    ["free", "locked", "total"].forEach(function (f) {
      var td = document.createElement("td"); td.className = "num mono"; td.dataset.field = f; tr.appendChild(td);
    });
    var value = document.createElement("td"); value.className = "num mono muted"; value.textContent = "—"; tr.appendChild(value);
    body.appendChild(tr);
    return tr;
  }
  QX.stream.subscribe("balances", function (frame) {
    if (frame.event === "update") {
      if (frame.seq <= seq) return;
      if (seq >= 0 && frame.prev_seq !== seq) { QX.stream.resync("balances"); return; }
    }
    seq = frame.seq;
    frame.data.forEach(function (b) {
      var tr = row(b.asset);
      tr.dataset.free = b.free;  /* the Withdraw form's Max reads it (withdraw.js) */
      tr.querySelector("[data-field=free]").textContent = dec.fmt(b.free, 2);
      tr.querySelector("[data-field=locked]").textContent = dec.fmt(b.locked, 2);
      tr.querySelector("[data-field=total]").textContent = dec.fmt(dec.add(b.free, b.locked), 2);
      if (frame.event === "update") { tr.classList.remove("flash-up"); void tr.offsetWidth; tr.classList.add("flash-up"); }
    });
  });
})();
