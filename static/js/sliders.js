// Reliability Lab: demo controls that feel live.
//
// A form marked `data-live-input` asks for its result through htmx's custom "live-input" trigger,
// which this script fires: the first change is sent at once (no debounce to wait out), later ones
// at most one request at a time and one per MIN_GAP_MS, and the latest value is always sent once
// the one in flight returns. Values overtaken while a request is in flight are never sent, so no
// stale answer can be drawn over a newer one.
//
// When a result comes back, each chart that is already drawn is kept and updated in place with
// Plotly.react (a chart whose figure did not change is not redrawn at all), instead of building a
// new plot from nothing: that is most of the browser's time on a heavy demo.
(function () {
  "use strict";
  var MIN_GAP_MS = 80;      // a cap on the request rate while a key or the mouse keeps moving
  var STUCK_MS = 10000;     // a request with no answer for this long no longer holds the queue

  var states = new WeakMap();

  function stateOf(form) {
    var s = states.get(form);
    if (!s) {
      s = { inflight: false, pending: false, last: 0, timer: null, sentAt: 0 };
      states.set(form, s);
    }
    return s;
  }

  function pump(form) {
    var s = stateOf(form);
    if (!s.pending || s.timer) return;
    var now = Date.now();
    if (s.inflight && now - s.sentAt < STUCK_MS) return;  // sent when the answer arrives
    var wait = s.last + MIN_GAP_MS - now;
    if (wait > 0) {
      s.timer = setTimeout(function () { s.timer = null; pump(form); }, wait);
      return;
    }
    s.pending = false;
    s.inflight = true;
    s.last = s.sentAt = now;
    window.htmx.trigger(form, "live-input");
  }

  document.addEventListener("input", function (event) {
    var form = event.target.form || (event.target.closest && event.target.closest("form"));
    if (!form || !form.hasAttribute("data-live-input") || !window.htmx) return;
    stateOf(form).pending = true;
    pump(form);
  });

  // Any end of the request (answer, error, abort, timeout) frees the form for the latest value.
  ["htmx:afterRequest", "htmx:sendAbort", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var form = event.detail.elt;
      if (!form || !form.hasAttribute || !form.hasAttribute("data-live-input")) return;
      var s = stateOf(form);
      s.inflight = false;
      pump(form);
    });
  });

  // ---- charts updated in place -------------------------------------------------------------------
  var kept = null;  // id -> the drawn chart element the swap is about to replace

  document.addEventListener("htmx:beforeSwap", function (event) {
    kept = {};
    var target = event.detail.target;
    if (!target || !target.querySelectorAll) return;
    target.querySelectorAll("[data-figure][data-drawn][id]").forEach(function (el) {
      kept[el.id] = el;
    });
  });

  document.addEventListener("htmx:afterSwap", function () {
    var old = kept;
    kept = null;
    if (!old || !window.Plotly || !window.ReliabilityLab) return;
    Object.keys(old).forEach(function (id) {
      var fresh = document.getElementById(id);
      var drawn = old[id];
      if (!fresh || fresh === drawn || fresh.hasAttribute("data-drawn")) return;
      var spec = fresh.getAttribute("data-figure");
      var same = spec === drawn.getAttribute("data-figure");
      fresh.replaceWith(drawn);
      if (same) return;
      drawn.setAttribute("data-figure", spec);
      window.ReliabilityLab.drawFigure(drawn);
    });
  });
})();
