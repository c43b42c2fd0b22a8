/* QuantX live updates: one WebSocket to /ws/v1/ per page (docs/websocket.md, docs/web.md).
 *
 * QX.stream.subscribe(channel, handler) registers a handler for a channel's frames (snapshot and
 * update); the subscription is sent now if the socket is open, and again after every reconnect (the
 * server answers each subscribe with a fresh snapshot, which is also how a page resynchronises:
 * QX.stream.resync(channel)). The browser's session cookie authenticates the private channels
 * (orders, balances). Amounts stay strings: QX.dec compares and formats them exactly; Number is used
 * only for display arithmetic and the chart.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // ------------------------------------------------------------------ exact decimal strings
  function split(s) {
    s = String(s);
    var neg = s[0] === "-";
    if (neg) s = s.slice(1);
    var i = s.indexOf(".");
    var whole = (i < 0 ? s : s.slice(0, i)).replace(/^0+(?=\d)/, "");
    var frac = i < 0 ? "" : s.slice(i + 1);
    return { neg: neg, whole: whole, frac: frac };
  }

  /* -1, 0, 1 comparing two non-negative decimal strings exactly ("30000.5" vs "30000.50" -> 0). */
  function cmp(a, b) {
    var x = split(a), y = split(b);
    if (x.whole.length !== y.whole.length) return x.whole.length < y.whole.length ? -1 : 1;
    if (x.whole !== y.whole) return x.whole < y.whole ? -1 : 1;
    var n = Math.max(x.frac.length, y.frac.length);
    var fx = x.frac.padEnd(n, "0"), fy = y.frac.padEnd(n, "0");
    return fx === fy ? 0 : fx < fy ? -1 : 1;
  }

  /* A decimal string shown with at least `dp` decimals, never rounded ("30000.5", 2 -> "30000.50"). */
  function fmt(s, dp) {
    if (s === null || s === undefined || s === "") return "—";
    var p = split(s);
    var frac = p.frac.replace(/0+$/, "");
    if (frac.length < dp) frac = frac.padEnd(dp, "0");
    return (p.neg ? "-" : "") + (p.whole || "0") + (frac ? "." + frac : "");
  }

  /* a + b of two decimal strings, exactly (BigInt on the scaled digits). */
  function add(a, b) {
    var x = split(a), y = split(b), n = Math.max(x.frac.length, y.frac.length);
    var big = function (p) { var v = BigInt((p.whole || "0") + p.frac.padEnd(n, "0")); return p.neg ? -v : v; };
    var sum = big(x) + big(y), neg = sum < 0n;
    var digits = (neg ? -sum : sum).toString().padStart(n + 1, "0");
    var out = n ? digits.slice(0, -n) + "." + digits.slice(-n) : digits;
    return (neg ? "-" : "") + out;
  }

  /* A decimal string as a BigInt of units of 10^-n (digits past n are cut: a floor for positives). */
  function scaled(s, n) {
    var p = split(s), v = BigInt((p.whole || "0") + p.frac.padEnd(n, "0").slice(0, n));
    return p.neg ? -v : v;
  }
  function unscaled(v, n) {
    var neg = v < 0n, digits = (neg ? -v : v).toString().padStart(n + 1, "0");
    return (neg ? "-" : "") + (n ? digits.slice(0, -n) + "." + digits.slice(-n) : digits);
  }
  function places(s) { return split(s).frac.length; }
  /* a × b, exactly. */
  function mul(a, b) { return unscaled(scaled(a, places(a)) * scaled(b, places(b)), places(a) + places(b)); }
  /* How many whole `step`s fit in `a` (both positive decimal strings): a BigInt, exact. */
  function fits(a, step) { var n = Math.max(places(a), places(step)); return scaled(a, n) / scaled(step, n); }

  function isZero(s) { return /^-?0*\.?0*$/.test(String(s)); }

  /* A Number shown with dp decimals (display only: previews and totals). */
  function num(n, dp) {
    if (!isFinite(n)) return "—";
    return n.toFixed(dp);
  }

  // ------------------------------------------------------------------ CRC32 (depth checksum)
  var table = (function () {
    var t = new Uint32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c >>> 0;
    }
    return t;
  })();
  function crc32(text) {
    var bytes = new TextEncoder().encode(text);
    var c = 0xffffffff;
    for (var i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }

  // ------------------------------------------------------------------ time
  function hms(ms) { return new Date(ms).toISOString().slice(11, 19); }

  // ------------------------------------------------------------------ the socket
  function Stream() {
    this.handlers = {};
    this.ws = null;
    this.delay = 500;
    this.nextId = 1;
    this.onHeartbeat = [];
    this.connect();
  }

  Stream.prototype.url = function () {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/v1/";
  };

  Stream.prototype.status = function (state, text) {
    document.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.classList.toggle("on", state === "on");
      el.classList.toggle("off", state === "off");
      el.textContent = text;
    });
  };

  Stream.prototype.connect = function () {
    var self = this;
    var ws;
    try {
      ws = new WebSocket(this.url());
    } catch (e) {
      this.status("off", "offline");
      return;
    }
    this.ws = ws;
    ws.onopen = function () {
      self.delay = 500;
      self.status("on", "live");
      var channels = Object.keys(self.handlers);
      if (channels.length) self.send({ op: "subscribe", channels: channels });
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      self.dispatch(frame);
    };
    ws.onclose = function () {
      if (self.ws !== ws) return;
      self.status("off", "reconnecting…");
      setTimeout(function () { self.connect(); }, self.delay);
      self.delay = Math.min(self.delay * 2, 10000);
    };
  };

  Stream.prototype.send = function (message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      message.id = this.nextId++;
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  };

  Stream.prototype.dispatch = function (frame) {
    if (frame.event === "snapshot" || frame.event === "update") {
      var handler = this.handlers[frame.channel];
      if (handler) handler(frame);
    } else if (frame.event === "heartbeat") {
      this.onHeartbeat.forEach(function (fn) { fn(frame); });
    } else if (frame.event === "error") {
      if (window.console) console.warn("QuantX stream:", frame.code, frame.msg);
      if (frame.channel && this.handlers[frame.channel] && this.handlers[frame.channel].onError) {
        this.handlers[frame.channel].onError(frame);
      }
    }
  };

  Stream.prototype.subscribe = function (channel, handler) {
    this.handlers[channel] = handler;
    this.send({ op: "subscribe", channels: [channel] });
  };

  Stream.prototype.unsubscribe = function (channel) {
    delete this.handlers[channel];
    this.send({ op: "unsubscribe", channels: [channel] });
  };

  /* Ask for a fresh snapshot (after a gap in seq or a checksum mismatch). */
  Stream.prototype.resync = function (channel) {
    if (this.handlers[channel]) this.send({ op: "subscribe", channels: [channel] });
  };

  // ------------------------------------------------------------------ POST forms as fetch
  /* Submits a form with fetch and Accept: application/json (the server answers the same form
   * with JSON instead of a redirect). Resolves to {ok, status, body}. */
  function submitForm(form, extra) {
    var data = new FormData(form);
    if (extra) Object.keys(extra).forEach(function (k) { data.set(k, extra[k]); });
    return fetch(form.action, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(
        function (body) { return { ok: response.ok, status: response.status, body: body }; },
        function () { return { ok: false, status: response.status, body: { message: "The server answered " + response.status + "; nothing may have been done. Reload the page to check." } }; }
      );
    }, function () {
      return { ok: false, status: 0, body: { message: "No answer from the server: check your connection. Reload the page to see whether it went through." } };
    });
  }

  /* Shows the result of the latest action in a notes list (ul.messages); it replaces every earlier
   * message on the page, so nothing stale stays. Successes leave by themselves (site.js). */
  function note(list, level, text) {
    document.querySelectorAll("ul.messages").forEach(function (ul) { ul.innerHTML = ""; });
    document.querySelectorAll(".order-form .field-error").forEach(function (p) { p.remove(); });
    var formError = document.getElementById("order-error");
    if (formError) { formError.hidden = true; formError.textContent = ""; }
    if (!list) return;
    var li = document.createElement("li");
    li.className = level || "info";
    li.textContent = text;
    list.appendChild(li);
    if (window.QX.expireMessage) window.QX.expireMessage(li);
  }

  Object.assign((window.QX = window.QX || {}), {
    dec: { cmp: cmp, fmt: fmt, add: add, mul: mul, fits: fits, isZero: isZero, num: num },
    crc32: crc32,
    hms: hms,
    submitForm: submitForm,
    note: note,
    stream: new Stream(),
  });
})();
