// A resource's request form: choosing the activity it is for fills in the activity's times (and
// its title as the use) where the person has not typed their own. Without scripts the fields
// stay as they are and the person types the times.
(function () {
  "use strict";
  var pick = document.getElementById("q-for-demand");
  if (!pick) { return; }
  var filled = {};  // what this script wrote, so a second choice replaces it but never what was typed
  function put(id, text) {
    var input = document.getElementById(id);
    if (!input || !text) { return; }
    if (input.value === "" || input.value === filled[id]) {
      input.value = text;
      filled[id] = text;
    }
  }
  pick.addEventListener("change", function () {
    var chosen = pick.options[pick.selectedIndex];
    if (!chosen || !chosen.value) { return; }
    put("q-start", chosen.dataset.starts);
    put("q-end", chosen.dataset.ends);
    put("q-title", chosen.dataset.title);
  });
})();
