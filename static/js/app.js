// Reliability Lab: the one page script. Draws the server's chart specs with plotly.js, keeps slider
// read-outs current, and offers copy-link and reset. No inline scripts anywhere, so a strict
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
    ["xaxis", "yaxis", "xaxis2", "yaxis2"].forEach(function (axis) {
      if (layout[axis]) {
        layout[axis] = Object.assign({ gridcolor: c.grid, linecolor: c.grid }, layout[axis]);
      }
    });
    return layout;
  }

  function drawCharts(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var fig = JSON.parse(el.getAttribute("data-figure"));
      window.Plotly.react(el, fig.data, styleLayout(fig.layout), {
        responsive: true, displaylogo: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toImage"],
      });
      el.setAttribute("data-drawn", "true");
    });
  }

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

  // ---- reset to defaults: put every control back, then let htmx fetch the result --------------
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-reset]");
    if (!link) return;
    var form = link.closest("form");
    if (!form) return;
    event.preventDefault();
    form.querySelectorAll("[data-default]").forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = input.getAttribute("data-default") === "true";
      } else {
        input.value = input.getAttribute("data-default");
      }
      if (input.type === "range") {
        var out = document.getElementById(input.id + "-out");
        if (out) out.textContent = display(input);
      }
    });
    form.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // ---- copy link: the absolute URL of this exact state ----------------------------------------
  function enableCopy(root) {
    root.querySelectorAll(".copy-link").forEach(function (button) {
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

  function init(root) {
    drawCharts(root);
    enableCopy(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.detail.target); });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
    drawCharts(document);
  });
})();
