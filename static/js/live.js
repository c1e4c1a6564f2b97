// Reliability Lab: live sessions. Loaded only on /live pages (no inline scripts: the CSP holds).
// Both sides poll with htmx (hx-trigger="every …"): a poll that fails is simply followed by the next
// one, which catches up, so this script only says so ("Reconnecting…") while polls fail.
// Attendee: touching the demo detaches from the room (explore on your own; "Rejoin" comes back).
// Instructor: every demo state the instructor asks for (slider, preset, reset) is sent to the room.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root) return;
  var role = root.getAttribute("data-live");
  var code = root.getAttribute("data-code");
  var status = root.querySelector("[data-live-status]");
  var calm = status ? status.textContent.trim() : "";

  function say(text, trouble) {
    if (!trouble) calm = text;
    if (status && status.textContent !== text) status.textContent = text;
    root.classList.toggle("live-trouble", !!trouble);
  }

  function isPoll(elt) {
    return !!(elt && elt.hasAttribute && elt.hasAttribute("data-live-poll"));
  }

  // ---- connection ------------------------------------------------------------------------------
  var failures = 0;
  function pollFailed(event) {
    if (!isPoll(event.detail.elt)) return;
    failures += 1;
    if (failures >= 2) say("Reconnecting…", true); // one lost poll is noise on Wi-Fi
  }
  ["htmx:sendError", "htmx:timeout", "htmx:responseError"].forEach(function (name) {
    document.addEventListener(name, pollFailed);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (!isPoll(event.detail.elt) || !xhr || xhr.status === 0 || xhr.status >= 500) return;
    if (failures) {
      failures = 0;
      say(calm, false);
    }
  });

  // ---- attendee: detach and rejoin -------------------------------------------------------------
  if (role === "follow") {
    var detached = root.hasAttribute("data-detached");

    var detach = function () {
      if (detached) return;
      detached = true;
      root.setAttribute("data-detached", "");
      var leave = root.querySelector(".live-detach");
      var rejoin = root.querySelector(".live-rejoin");
      if (leave) leave.hidden = true;
      if (rejoin) rejoin.hidden = false;
      say("Exploring on your own", false);
      try {
        history.replaceState(history.state, "", location.pathname + "?detached=1");
      } catch (e) { /* a sandboxed frame */ }
    };

    document.addEventListener("htmx:beforeRequest", function (event) {
      var elt = event.detail.elt;
      if (isPoll(elt)) {
        if (detached) event.preventDefault();
        return;
      }
      if (elt.closest && elt.closest(".demo")) detach(); // moving a slider = exploring
    });
    // A poll already on its way when the attendee detached must not overwrite their demo.
    document.addEventListener("htmx:beforeSwap", function (event) {
      if (detached && isPoll(event.detail.elt)) event.detail.shouldSwap = false;
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".live-detach")) return;
      event.preventDefault();
      detach();
    });
  }

  // ---- instructor: send each demo state to the room --------------------------------------------
  if (role === "control") {
    var csrf = root.getAttribute("data-csrf");
    var pending = null;
    var sending = false;

    var send = function () {
      if (!pending || sending) return;
      var state = pending;
      pending = null;
      sending = true;
      var body = new URLSearchParams();
      body.set("demo", state.demo);
      body.set("query", state.query);
      fetch("/live/" + code + "/state", {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.ok) say("The room sees version " + data.version + ".", false);
          else say("Not sent to the room: " + (data.error || "error " + response.status), true);
        });
      }, function () {
        // Offline for a moment: send the latest state again in a second.
        if (!pending) pending = state;
        say("Not sent to the room (network): retrying…", true);
        return new Promise(function (resolve) { setTimeout(resolve, 1000); });
      }).then(function () {
        sending = false;
        send();
      });
    };

    // Sent as the demo request leaves (after the slider's debounce), not when it returns: the room
    // renders the state in parallel with the instructor's own page. The server validates it again.
    document.addEventListener("htmx:beforeRequest", function (event) {
      var info = event.detail.pathInfo || {};
      if (isPoll(event.detail.elt) || event.detail.requestConfig.verb !== "get") return;
      var url = new URL(info.finalRequestPath || "", location.href);
      var match = url.pathname.match(/^\/demos\/([a-z0-9-]+)$/);
      if (!match) return;
      pending = { demo: match[1], query: url.search.replace(/^\?/, "") }; // only the latest matters
      send();
    });
  }
})();
