// Live validation for the workflow editor: ask the server's compiler (the same one that guards
// publishing) as the admin types. The URL comes from the form's data-validate attribute.
(function () {
  var form = document.getElementById('editor');
  if (!form) { return; }
  var box = document.getElementById('source'), out = document.getElementById('problems'), timer = null;
  var token = form.querySelector('input[name=csrf_token]').value;
  box.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var body = new URLSearchParams({source: box.value, csrf_token: token});
      fetch(form.dataset.validate, {method: 'POST', body: body, headers: {'X-CSRFToken': token}})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          out.textContent = '';
          data.problems.forEach(function (p) {
            var div = document.createElement('div');
            div.className = 'alert alert-danger py-1 mb-1 problem';
            div.textContent = form.dataset.where.replace('{line}', p.line).replace('{column}', p.column) + p.message;
            out.appendChild(div);
          });
          if (!data.problems.length) {
            var ok = document.createElement('div');
            ok.className = 'text-success problem-free';
            ok.textContent = form.dataset.ok;
            out.appendChild(ok);
          }
        });
    }, 400);
  });
})();
