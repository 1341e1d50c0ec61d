// The intake form's line items: add a row (a copy of the first, emptied) and remove one; the
// inputs are renumbered line_items-N-field so the server reads them in order.
(function () {
  'use strict';
  var list = document.getElementById('line-items');
  var add = document.getElementById('add-line-item');
  if (!list || !add) { return; }

  function renumber() {
    var rows = list.querySelectorAll('.line-item');
    rows.forEach(function (row, n) {
      row.querySelectorAll('[data-field]').forEach(function (input) {
        var name = 'line_items-' + n + '-' + input.getAttribute('data-field');
        var label = row.querySelector('label[for="' + input.id + '"]');
        input.name = name;
        input.id = 'f-' + name;
        if (label) { label.htmlFor = input.id; }
      });
      row.querySelector('[data-remove-row]').hidden = rows.length < 2;
    });
  }

  add.addEventListener('click', function () {
    var row = list.querySelector('.line-item').cloneNode(true);
    row.querySelectorAll('input').forEach(function (input) {
      input.value = '';
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    });
    row.querySelectorAll('.field-error').forEach(function (e) { e.remove(); });
    row.querySelectorAll('.has-error').forEach(function (e) { e.classList.remove('has-error'); });
    list.appendChild(row);
    renumber();
    row.querySelector('input').focus();
  });

  list.addEventListener('click', function (event) {
    var button = event.target.closest('[data-remove-row]');
    if (!button || list.querySelectorAll('.line-item').length < 2) { return; }
    button.closest('.line-item').remove();
    renumber();
    list.querySelector('input').focus();
  });
  renumber();
})();
