// Follows an import job's progress bar until the job ends, then reloads to show its result.
// A static file, not inline, so the console's Content-Security-Policy needs no inline script.
(function () {
  var bar = document.getElementById("job-bar");
  var url = bar && bar.getAttribute("data-status-url");
  if (!url) { return; }
  (function poll() {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      bar.style.width = s.percent + "%"; bar.textContent = s.percent + "%"; bar.setAttribute("aria-valuenow", s.percent);
      document.getElementById("job-stage").textContent = s.stage;
      if (s.status === "done" || s.status === "failed") { window.location.reload(); } else { setTimeout(poll, 1000); }
    }).catch(function () { setTimeout(poll, 3000); });
  })();
})();
