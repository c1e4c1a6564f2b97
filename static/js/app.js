// Reliability Lab: the one page script. Draws the server's chart specs with plotly.js, keeps slider
// read-outs current, and offers copy-link. No inline scripts anywhere, so a strict
// Content-Security-Policy holds.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // ---- charts: every [data-figure] element holds a Plotly figure as JSON ----------------------
  function themeColours() {
    var css = getComputedStyle(document.documentElement);
    return {
      text: css.getPropertyValue("--text").trim() || "#1d232b",
      grid: css.getPropertyValue("--grid").trim() || "#e3e7ec",
    };
  }

  function styleLayout(layout) {
    var c = themeColours();
    layout.font = Object.assign({}, layout.font, { color: c.text });
    Object.keys(layout).forEach(function (key) {  // every axis: xaxis, yaxis2, xaxis5…
      if (/^[xy]axis\d*$/.test(key)) {
        layout[key] = Object.assign({ gridcolor: c.grid, linecolor: c.grid }, layout[key]);
      }
    });
    return layout;
  }

  var TOUCH = window.matchMedia("(hover: none), (pointer: coarse)");

  // Draws the charts not drawn yet (a swap brings new ones), or all of them when the theme changes.
  function drawCharts(all) {
    if (!window.Plotly) return;
    document.querySelectorAll(all ? "[data-figure]" : "[data-figure]:not([data-drawn])").forEach(drawFigure);
  }

  // Plotly.react also updates a chart already drawn in place (static/js/sliders.js relies on it).
  function drawFigure(el) {
    var fig = JSON.parse(el.getAttribute("data-figure"));
    window.Plotly.react(el, fig.data, styleLayout(fig.layout), {
      responsive: true, displaylogo: false,
      displayModeBar: !TOUCH.matches,  // on a phone the modebar covers the chart's title
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toImage"],
    });
    el.setAttribute("data-drawn", "true");
  }
  window.ReliabilityLab = { drawFigure: drawFigure };

  // ---- slider read-outs ------------------------------------------------------------------------
  function display(input) {
    var never = input.getAttribute("data-never-at");
    if (never !== null && input.value === never) return input.getAttribute("data-never-label");
    var unit = input.getAttribute("data-unit");
    return Number(input.value).toLocaleString("en-US") + (unit ? " " + unit : "");
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.type !== "range") return;
    var out = document.getElementById(input.id + "-out");
    if (out) out.textContent = display(input);
  });

  // ---- copy link: the absolute URL of this exact state ----------------------------------------
  function enableCopy() {
    document.querySelectorAll(".copy-link[hidden]").forEach(function (button) {
      if (navigator.clipboard) button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".copy-link");
    if (!button) return;
    var url = new URL(button.getAttribute("data-copy-target"), window.location.href).href;
    navigator.clipboard.writeText(url).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy link"; }, 1500);
    });
  });

  // ---- progress: kept in this browser only (localStorage), never on the server ---------------
  var PROGRESS_KEY = "reliability-lab-progress";

  function loadProgress() {
    try {
      var p = JSON.parse(localStorage.getItem(PROGRESS_KEY) || "{}");
      return { visited: p.visited || {}, answered: p.answered || {} };
    } catch (e) {
      return { visited: {}, answered: {} };
    }
  }

  function saveProgress(p) {
    try { localStorage.setItem(PROGRESS_KEY, JSON.stringify(p)); } catch (e) { /* private mode */ }
  }

  function recordProgress() {
    var p = loadProgress();
    var lesson = document.querySelector("[data-lesson-slug]");
    if (lesson) p.visited[lesson.getAttribute("data-lesson-slug")] = true;
    document.querySelectorAll("[data-answered]").forEach(function (el) {
      p.answered[el.getAttribute("data-answered")] = el.getAttribute("data-correct") === "true";
    });
    saveProgress(p);
    return p;
  }

  function showProgress(p) {
    document.querySelectorAll("[data-progress-for]").forEach(function (el) {
      var slug = el.getAttribute("data-progress-for");
      var questions = (el.getAttribute("data-questions") || "").split(" ").filter(Boolean);
      var answered = questions.filter(function (q) { return q in p.answered; }).length;
      var parts = [];
      if (p.visited[slug]) parts.push("✓ visited");
      if (questions.length) parts.push(answered + "/" + questions.length + " predictions");
      el.textContent = parts.join(" · ");
    });
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-reset-progress]")) return;
    saveProgress({ visited: {}, answered: {} });
    try { localStorage.removeItem("reliability-lab-predictions"); } catch (e) { /* predict.js's answers */ }
    showProgress(loadProgress());
  });

  // "Slide mode" (static/js/slides.js) keeps the demo states the learner has reached.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-keep-query]");
    if (!link) return;
    var url = new URL(window.location.href);
    url.searchParams.set("present", "1");
    link.href = url.pathname + url.search;
  });

  function init() {
    drawCharts(false);
    enableCopy();
    showProgress(recordProgress());
  }

  document.addEventListener("DOMContentLoaded", init);
  // After a swap htmx's target may be the element it just replaced, so look at the whole page.
  document.addEventListener("htmx:afterSettle", init);
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
    drawCharts(true);
  });
  document.addEventListener("themechange", function () { drawCharts(true); });  // static/js/theme.js
})();
