// The 发布 form of an activity: once both times are chosen, ask which shared resources are free
// then (portal.resource_suggestions) and show them under the fields, with why they match.
(function () {
  "use strict";
  var box = document.getElementById("resource-suggestions-live");
  if (!box) { return; }
  var form = box.closest("form");
  var fields = ["starts_at", "ends_at", "capacity", "community_id", "title"];
  var last = "";
  function value(name) {
    var input = form.elements[name];
    return input && input.value ? input.value : "";
  }
  function ask() {
    if (!value("starts_at") || !value("ends_at")) { return; }
    var query = fields.filter(value).map(function (name) {
      return encodeURIComponent(name) + "=" + encodeURIComponent(value(name));
    }).join("&");
    if (query === last) { return; }
    last = query;
    fetch(box.dataset.url + "?" + query, {credentials: "same-origin"})
      .then(function (answer) { return answer.ok && !answer.redirected ? answer.text() : ""; })  // logged out: the log-in page, not a fragment
      .then(function (html) { if (query === last) { box.innerHTML = html; } })
      .catch(function () { /* no suggestions: the activity's page shows them after 发布 */ });
  }
  fields.forEach(function (name) {
    var input = form.elements[name];
    if (input) { input.addEventListener("change", ask); }
  });
  ask();
})();
