// Reliability Lab: page layout helpers that are not about one demo. Marks tables that scroll
// sideways (a hint and an edge shadow), and prepares the page for print: every <details> opens and
// every chart is redrawn at a fixed width that fits the paper, then both are put back.
(function () {
  "use strict";

  // ---- tables and figures wider than their box: say so ----------------------------------------
  function markScrollers() {
    document.querySelectorAll(".table-scroll, .lab-graph-scroll").forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("scrolls-x", wide);
      var hint = box.previousElementSibling;
      var hasHint = hint && hint.classList.contains("scroll-hint");
      if (wide && !hasHint) {
        hint = document.createElement("p");
        hint.className = "scroll-hint";
        hint.setAttribute("aria-hidden", "true");  // the region's own label tells a screen reader
        hint.textContent = "Scroll sideways →";
        box.parentNode.insertBefore(hint, box);
      } else if (!wide && hasHint) {
        hint.remove();
      }
    });
  }

  document.addEventListener("scroll", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("scrolls-x")) return;
    box.classList.toggle("scrolled-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 2);
  }, true);

  // ---- print ------------------------------------------------------------------------------------
  // Plotly sizes a chart to its box on screen and does not redraw for paper, so a chart drawn at
  // 1,100 px spills off a 700 px page: give every chart a fixed paper width while printing.
  var PRINT_WIDTH = 640;  // CSS px: fits A4 and Letter inside the default margins
  var printing = false;

  function forPrint() {
    if (printing) return;
    printing = true;
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.setAttribute("data-opened-for-print", "");
      d.open = true;
    });
    var charts = window.Plotly ? document.querySelectorAll("[data-figure][data-drawn]") : [];
    var redrawn = Array.prototype.map.call(charts, function (el) {
      return window.Plotly.relayout(el, { width: PRINT_WIDTH, autosize: false });
    });
    // Says when every chart has its paper width (tests wait for it before measuring the page).
    Promise.all(redrawn).then(function () {
      if (printing) document.documentElement.setAttribute("data-print-ready", "");
    });
  }

  function afterPrint() {
    if (!printing) return;
    printing = false;
    document.documentElement.removeAttribute("data-print-ready");
    document.querySelectorAll("details[data-opened-for-print]").forEach(function (d) {
      d.removeAttribute("data-opened-for-print");
      d.open = false;
    });
    if (!window.Plotly) return;
    document.querySelectorAll("[data-figure][data-drawn]").forEach(function (el) {
      window.Plotly.relayout(el, { width: null, autosize: true });
    });
  }

  window.addEventListener("beforeprint", forPrint);
  window.addEventListener("afterprint", afterPrint);
  // Some print paths (a PDF export, print emulation) switch the media without the events.
  window.matchMedia("print").addEventListener("change", function (event) {
    if (event.matches) forPrint(); else afterPrint();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  function init() {
    document.querySelectorAll("[data-print][hidden]").forEach(function (b) { b.hidden = false; });
    markScrollers();
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
  document.addEventListener("toggle", markScrollers, true);  // a table is measured once its <details> opens
  window.addEventListener("resize", markScrollers);
})();
