/* Every page: the phone menu, messages that leave by themselves, labels for tables shown as cards
 * on phones (table.stack-sm), selects that navigate (data-go), and QX.toast. No framework. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var QX = (window.QX = window.QX || {});
  var TOAST_MS = 6000, MESSAGE_MS = 8000;

  var topbar = document.querySelector(".topbar"), toggle = document.querySelector(".menu-toggle");
  if (topbar && toggle) {
    toggle.addEventListener("click", function () {
      var open = topbar.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  /* Success and info messages fade after a while; errors stay until the next action replaces them. */
  function expire(li) {
    if (!li.classList.contains("success") && !li.classList.contains("info")) return;
    setTimeout(function () { if (li.parentNode) li.remove(); }, MESSAGE_MS);
  }
  document.querySelectorAll(".messages li").forEach(expire);
  QX.expireMessage = expire;

  /* The cell's column name, shown before the value when a row becomes a card. */
  function label(table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr:not(.empty)").forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (cell, i) {
        if (names[i] && cell.colSpan === 1 && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[i]);
      });
    });
  }
  QX.labelTable = label;
  document.querySelectorAll("table.stack-sm").forEach(function (table) {
    label(table);
    var body = table.querySelector("tbody");
    if (body && window.MutationObserver) new MutationObserver(function () { label(table); }).observe(body, { childList: true });
  });

  document.querySelectorAll("select[data-go]").forEach(function (select) {
    select.addEventListener("change", function () { location.href = select.value; });
  });

  /* A toast: a short notice in the corner that leaves after a few seconds (click to close). */
  QX.toast = function (level, title, text) {
    var box = document.getElementById("toasts");
    if (!box) return null;
    var el = document.createElement("div");
    el.className = "toast " + (level || "info");
    var strong = document.createElement("strong");
    strong.textContent = title;
    el.appendChild(strong);
    if (text) el.appendChild(document.createTextNode(text));
    var close = function () { el.classList.add("leaving"); setTimeout(function () { el.remove(); }, 300); };
    el.addEventListener("click", close);
    box.appendChild(el);
    while (box.children.length > 3) box.firstChild.remove();
    setTimeout(close, TOAST_MS);
    return el;
  };
})();
