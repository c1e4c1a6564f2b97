// Glossary tooltips: CSS shows a term's definition on hover and focus; Escape hides it again without
// moving the pointer or the focus (WCAG 1.4.13), until the pointer or focus moves to another term;
// and a tooltip near the right edge opens leftwards.
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

  // A tooltip that would run past the right edge of the window opens leftwards instead.
  function place(event) {
    var ref = event.target.closest && event.target.closest(".term-ref");
    if (!ref) return;
    var tip = ref.querySelector(".term-tip");
    ref.classList.remove("term-flip");
    if (tip && tip.getBoundingClientRect().right > document.documentElement.clientWidth - 8) {
      ref.classList.add("term-flip");
    }
  }

  document.addEventListener("focusin", function (event) { reset(event); place(event); });
  document.addEventListener("mouseover", function (event) { reset(event); place(event); });
})();
