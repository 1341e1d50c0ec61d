// File inputs with data-max-bytes: a file over the limit is taken out of the input at once, with
// the reason next to it, so the form is never sent with a file the server would refuse.
(function () {
  'use strict';

  function message(input, text) {
    var id = input.id + '-size';
    var note = document.getElementById(id);
    if (!text) {
      if (note) { note.remove(); }
      return;
    }
    if (!note) {
      note = document.createElement('p');
      note.id = id;
      note.className = 'field-error';
      note.setAttribute('role', 'alert');
      input.insertAdjacentElement('afterend', note);
    }
    note.textContent = text;
  }

  document.querySelectorAll('input[type=file][data-max-bytes]').forEach(function (input) {
    var limit = parseInt(input.getAttribute('data-max-bytes'), 10);
    input.addEventListener('change', function () {
      var big = Array.prototype.filter.call(input.files || [], function (f) { return f.size > limit; });
      if (big.length) {
        input.value = '';
        message(input, big.map(function (f) {
          return input.getAttribute('data-too-large').replace('{name}', f.name);
        }).join(' '));
      } else {
        message(input, null);
      }
    });
  });
}());
