// Reliability Lab: a demo request the server turned away because its simulation queue was full
// (503 with Retry-After and a [data-busy] message, webapp/errors.py) is shown where the result goes,
// like a 400, instead of being dropped as htmx does with other 5xx answers. The learner's next move
// of a control simply asks again.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 503 && /data-busy/.test(event.detail.serverResponse || "")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
