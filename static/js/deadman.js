/* The dead-man's switch panel of the orders page: each armed timer's time left, counting down
 * once a second from its deadline (ms since the epoch, as the server rendered it). */
(function () {
  "use strict";
  var cells = document.querySelectorAll("#deadman-timers [data-deadline-ms]");
  if (!cells.length) return;
  var skew = 0; /* the server's clock minus ours, from the page's render time */
  var rendered = document.getElementById("deadman");
  if (rendered && rendered.dataset.nowMs) skew = Number(rendered.dataset.nowMs) - Date.now();
  function tick() {
    var now = Date.now() + skew;
    cells.forEach(function (cell) {
      var left = Math.max(0, Math.ceil((Number(cell.dataset.deadlineMs) - now) / 1000));
      cell.textContent = left > 0 ? left + " s" : "firing…";
    });
  }
  tick();
  setInterval(tick, 1000);
})();
