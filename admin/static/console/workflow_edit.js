// Live validation for the workflow editor: ask the server's compiler (the same one that guards
// publishing) as the admin types. A failed answer says so; it never shows "no errors".
(function () {
  var form = document.getElementById('editor');
  if (!form) { return; }
  var box = document.getElementById('source'), out = document.getElementById('problems'), timer = null;
  var token = form.querySelector('input[name=csrf_token]').value;

  function line(text, className) {
    var div = document.createElement('div');
    div.className = className;
    div.textContent = text;
    out.appendChild(div);
  }

  function show(data) {
    out.innerHTML = '';
    data.problems.forEach(function (p) {
      var where = form.dataset.where.replace('{line}', p.line).replace('{column}', p.column);
      line(where + p.message, 'alert alert-danger py-1 mb-1 problem');
    });
    if (!data.problems.length) { line(form.dataset.ok, 'text-success problem-free'); }
  }

  function failed() {
    out.innerHTML = '';
    line(form.dataset.failed, 'alert alert-warning py-1 mb-1 validate-failed');
  }

  box.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var body = new URLSearchParams({source: box.value, csrf_token: token});
      fetch(form.dataset.validate, {method: 'POST', body: body, headers: {'X-CSRFToken': token}})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(show, failed);
    }, 400);
  });
})();
