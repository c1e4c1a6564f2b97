// Reliability Lab: predict, then see. Loaded on lesson pages (no inline scripts: the CSP holds).
// The server leaves a demo's result out until the question that it answers is answered; this script
// only remembers, in this browser (localStorage, as progress is), what was answered or skipped, so
// that a revisit asks the server for the demos already revealed, one question after the other (each
// answer rides in the lesson's URL, which the next request reports as HX-Current-URL).
(function () {
  "use strict";
  var KEY = "reliability-lab-predictions";

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch (e) { return {}; }
  }

  function save(p) {
    try { localStorage.setItem(KEY, JSON.stringify(p)); } catch (e) { /* private mode */ }
  }

  // What the page shows as answered or skipped is what this browser remembers.
  function record() {
    var p = load(), changed = false;
    document.querySelectorAll("[data-question]").forEach(function (q) {
      var id = q.getAttribute("data-question");
      var answered = q.querySelector("[data-answered]");
      var entry = answered ? { answer: answered.getAttribute("data-answer") }
        : q.querySelector("[data-skipped]") ? { skipped: true } : null;
      if (entry && JSON.stringify(p[id]) !== JSON.stringify(entry)) {
        p[id] = entry;
        changed = true;
      }
    });
    if (changed) save(p);
  }

  function withheld(q) {
    var demo = document.getElementById("demo-" + q.getAttribute("data-reveals"));
    return !!(demo && demo.hasAttribute("data-withheld"));
  }

  // Sends one remembered answer (or skip) as the learner would, and resolves when it is swapped in.
  function replay(q, entry) {
    var form = q.querySelector("form");
    if (!form) return Promise.resolve();
    var values = {};
    if (entry.skipped) {
      values.skip = "1";
      form.noValidate = true;  // a skip has no answer to validate
    } else {  // fill the form as the learner did: htmx validates it and sends its fields
      var input = form.querySelector("input[type=text][name=answer]") ||
        form.querySelector("input[name=answer][value=\"" + String(entry.answer).replace(/["\\]/g, "") + "\"]");
      if (!input) return Promise.resolve();
      if (input.type === "radio") input.checked = true; else input.value = entry.answer;
    }
    return window.htmx.ajax("POST", form.getAttribute("hx-post"), {
      source: form, target: "#" + q.id, swap: "outerHTML", values: values,
    });
  }

  function restore() {
    if (!window.htmx) return;
    var p = load();
    var pending = Array.prototype.filter.call(document.querySelectorAll("[data-question][data-reveals]"), function (q) {
      return p[q.getAttribute("data-question")] && withheld(q);
    });
    pending.reduce(function (chain, q) {
      var id = q.id;
      return chain.then(function () {
        var current = document.getElementById(id);  // a swap replaces the element
        return current ? replay(current, p[current.getAttribute("data-question")]) : null;
      });
    }, Promise.resolve());
  }

  document.addEventListener("DOMContentLoaded", function () {
    record();
    restore();
  });
  document.addEventListener("htmx:afterSettle", record);
})();
