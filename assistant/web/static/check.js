// Live progress of a running check: its place in the queue, then its stage; the page reloads with the result.
// The only script of the app. It polls the check's JSON twin, /api/checks/{id}, which is also its API.
(function () {
  "use strict";
  var line = document.getElementById("progress");
  if (!line) { return; }
  var url = line.getAttribute("data-status-url");
  function show(s) {
    if (s.status === "queued") {
      line.textContent = "place " + s.position + " in the queue";
    } else if (s.status === "running") {
      line.textContent = s.stage || "running…";
    }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        if (s.status === "done" || s.status === "failed") { window.location.reload(); return; }
        show(s);
        window.setTimeout(poll, 500);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
})();
