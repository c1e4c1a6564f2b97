// The theme switch: auto (the system's choice), light or dark, remembered in this browser.
// Loaded in <head> without defer so the chosen theme is on <html> before the first paint; the
// switch itself (hidden without JavaScript, where it could do nothing) is wired once the page is parsed.
(function () {
  "use strict";
  var KEY = "reliability-lab-theme";
  var root = document.documentElement;

  function stored() {
    try {
      var value = localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : "auto";
    } catch (e) {
      return "auto";  // storage disabled: follow the system
    }
  }

  function apply(theme) {
    if (theme === "auto") root.removeAttribute("data-theme");
    else root.setAttribute("data-theme", theme);
    var select = document.getElementById("theme-choice");
    if (select) select.value = theme;
    // Charts read their colours from the CSS variables: static/js/app.js redraws them.
    document.dispatchEvent(new CustomEvent("themechange", { detail: { theme: theme } }));
  }

  apply(stored());

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("theme-choice");
    if (!select) return;
    select.value = stored();
    select.closest(".theme-switch").hidden = false;
    select.addEventListener("change", function () {
      try { localStorage.setItem(KEY, select.value); } catch (e) { /* private mode: this page only */ }
      apply(select.value);
    });
  });

  // Another tab changed the theme.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) apply(stored());
  });
})();
