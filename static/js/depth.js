/* The depth chart: cumulative bids (left, green) and asks (right, red) around the mid price, drawn
 * on a canvas from the book trade.js keeps. QX.depthChart(canvas).draw(bids, asks) takes levels best
 * first as [price, qty] Numbers (display only). Redraws at most once per frame and on resize. */
(function () {
  "use strict";
  var QX = (window.QX = window.QX || {});
  var MAX_LEVELS = 100;
  var COLORS = { bid: "#1fb07a", bidFill: "rgba(31,176,122,.22)", ask: "#e5484d", askFill: "rgba(229,72,77,.22)",
                 text: "#8a96a3", grid: "#1d252e", mid: "#26303b" };

  function cumulative(levels) {
    var total = 0;
    return levels.slice(0, MAX_LEVELS).map(function (l) { total += l[1]; return [l[0], total]; });
  }

  QX.depthChart = function (canvas, opts) {
    var pdp = (opts && opts.priceDp) || 2, qdp = (opts && opts.qtyDp) || 4;
    var last = { bids: [], asks: [] }, pending = false, draws = 0;

    function paint() {
      pending = false;
      var dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
      if (!w || !h) return;
      if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
        canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
      }
      var ctx = canvas.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, h);
      ctx.font = "11px system-ui, sans-serif";
      var bids = cumulative(last.bids), asks = cumulative(last.asks);
      canvas.dataset.bids = String(bids.length);
      canvas.dataset.asks = String(asks.length);
      canvas.dataset.draws = String(++draws);
      var top = 14, bottom = h - 20, left = 4, right = w - 4;
      if (!bids.length && !asks.length) {
        ctx.fillStyle = COLORS.text; ctx.textAlign = "center";
        ctx.fillText("No orders in the book", w / 2, h / 2);
        return;
      }
      var bestBid = bids.length ? bids[0][0] : asks[0][0], bestAsk = asks.length ? asks[0][0] : bids[0][0];
      var mid = (bestBid + bestAsk) / 2;
      var lo = bids.length ? bids[bids.length - 1][0] : mid, hi = asks.length ? asks[asks.length - 1][0] : mid;
      var span = Math.max(mid - lo, hi - mid) || mid * 0.01 || 1;   // symmetric around the mid
      lo = mid - span; hi = mid + span;
      var maxQty = Math.max(bids.length ? bids[bids.length - 1][1] : 0, asks.length ? asks[asks.length - 1][1] : 0) * 1.1 || 1;
      var x = function (p) { return left + ((p - lo) / (hi - lo)) * (right - left); };
      var y = function (q) { return bottom - (q / maxQty) * (bottom - top); };

      ctx.strokeStyle = COLORS.grid; ctx.lineWidth = 1;
      for (var g = 1; g <= 3; g++) { var gy = Math.round(top + ((bottom - top) * g) / 4) + 0.5; ctx.beginPath(); ctx.moveTo(left, gy); ctx.lineTo(right, gy); ctx.stroke(); }
      ctx.strokeStyle = COLORS.mid; ctx.beginPath(); ctx.moveTo(Math.round(x(mid)) + 0.5, top); ctx.lineTo(Math.round(x(mid)) + 0.5, bottom); ctx.stroke();

      function side(levels, line, fill, dir) {
        if (!levels.length) return;
        ctx.beginPath();
        ctx.moveTo(x(levels[0][0]), bottom);
        var prev = 0;
        levels.forEach(function (l) { ctx.lineTo(x(l[0]), y(prev)); ctx.lineTo(x(l[0]), y(l[1])); prev = l[1]; });
        ctx.lineTo(dir < 0 ? left : right, y(prev));
        ctx.strokeStyle = line; ctx.lineWidth = 1.5; ctx.stroke();
        ctx.lineTo(dir < 0 ? left : right, bottom); ctx.closePath();
        ctx.fillStyle = fill; ctx.fill();
      }
      side(bids, COLORS.bid, COLORS.bidFill, -1);
      side(asks, COLORS.ask, COLORS.askFill, 1);

      ctx.fillStyle = COLORS.text;
      ctx.textBaseline = "alphabetic";
      ctx.textAlign = "left"; ctx.fillText(lo.toFixed(pdp), left, h - 5);
      ctx.textAlign = "right"; ctx.fillText(hi.toFixed(pdp), right, h - 5);
      ctx.textAlign = "center"; ctx.fillText(mid.toFixed(pdp), x(mid), h - 5);
      ctx.textAlign = "left"; ctx.fillText((maxQty / 1.1).toFixed(qdp), left + 2, top - 2);
    }

    function schedule() {
      if (pending) return;
      pending = true;
      (window.requestAnimationFrame || setTimeout)(paint);
    }
    if (window.ResizeObserver) new ResizeObserver(schedule).observe(canvas);
    return {
      draw: function (bids, asks) { last = { bids: bids, asks: asks }; schedule(); },
      redraw: schedule,
    };
  };
})();
