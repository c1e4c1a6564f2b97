// "Use this in production": the copy button, and keeping the panel open on the chosen library while
// the demo's result is redrawn by a slider (htmx replaces the panel with the new state's).
(function () {
  "use strict";
  var chosen = {};  // panel id -> library the learner picked, while the panel is open

  function reveal(root) {
    if (!navigator.clipboard) return;
    root.querySelectorAll("[data-copy-config][hidden]").forEach(function (b) { b.hidden = false; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-config]");
    if (!button) return;
    var code = button.closest(".production-config").querySelector(".production-code");
    navigator.clipboard.writeText(code.textContent).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    }, function () { button.textContent = "Copy failed: select the text"; });
  });

  document.addEventListener("toggle", function (event) {
    var panel = event.target;
    if (!panel.matches || !panel.matches("[data-production]")) return;
    if (panel.open) {
      var current = panel.querySelector(".production-config");
      var body = panel.querySelector(".production-body[data-load]");
      if (current) {
        chosen[panel.id] = current.getAttribute("data-library");
      } else if (body && window.htmx) {  // a redrawn result's panel: load the library chosen before
        var url = body.getAttribute("data-load");
        if (chosen[panel.id]) url = url.replace(/\/production\/[^/?]+/, "/production/" + chosen[panel.id]);
        window.htmx.ajax("GET", url, {target: body, swap: "innerHTML"});
      }
    } else {
      delete chosen[panel.id];
    }
  }, true);

  document.addEventListener("htmx:afterSettle", function (event) {
    reveal(event.target);
    var config = event.target.querySelector && event.target.querySelector(".production-config");
    var panel = event.target.closest && event.target.closest("[data-production]");
    if (panel && config && panel.contains(config)) {  // a tab was clicked
      chosen[panel.id] = config.getAttribute("data-library");
      return;
    }
    // A new result: reopen a panel that was open, on the library that was chosen.
    event.target.querySelectorAll && event.target.querySelectorAll("[data-production]").forEach(function (p) {
      if (!(p.id in chosen)) return;
      p.open = true;
      var tab = p.querySelector('.production-tab[data-library="' + chosen[p.id] + '"]:not(.active)');
      if (tab && window.htmx) window.htmx.trigger(tab, "click");
    });
  });

  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
})();
