/* Balances page: the Withdraw form's Max button fills in the free balance of the chosen asset (as
   the balances table shows it, live), cut to the asset's decimals; the server checks everything. */
(function () {
  "use strict";
  var asset = document.getElementById("withdraw-asset");
  var amount = document.getElementById("withdraw-amount");
  var max = document.getElementById("withdraw-max");
  if (!asset || !amount || !max) return;
  function truncate(text, places) {
    var parts = String(text).split(".");
    if (places <= 0 || parts.length < 2) return parts[0];
    var frac = parts[1].slice(0, places).replace(/0+$/, "");
    return frac ? parts[0] + "." + frac : parts[0];
  }
  max.addEventListener("click", function () {
    var option = asset.options[asset.selectedIndex];
    var row = document.querySelector("#balances tr[data-asset='" + asset.value + "']");
    var free = row && row.dataset.free ? row.dataset.free : "0";
    amount.value = truncate(free, parseInt(option.dataset.precision || "8", 10));
    amount.focus();
  });
})();
