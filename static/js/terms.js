// Glossary tooltips: CSS shows a term's definition on hover and focus; Escape hides it again without
// moving the pointer or the focus (WCAG 1.4.13), until the pointer or focus moves to another term.
(function () {
  "use strict";
  var dismissed = null;

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector(".term-ref:hover, .term-ref:focus-within");
    if (!open) return;
    dismissed = open;
    open.classList.add("term-dismissed");
  });

  function reset(event) {
    if (dismissed && !dismissed.contains(event.target)) {
      dismissed.classList.remove("term-dismissed");
      dismissed = null;
    }
  }

  document.addEventListener("focusin", reset);
  document.addEventListener("mouseover", reset);
})();
