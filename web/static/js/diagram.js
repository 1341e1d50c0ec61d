// The instance page's diagram: bpmn-js NavigatedViewer with the order's steps marked.
// data-marks: {done|current|waiting|incident: {ids: [...], names: [...]}}; an element is marked
// when its id is listed, or its name where a table only keeps names (timers, incidents).
(function () {
  'use strict';
  var box = document.getElementById('diagram');
  if (!box || !window.BpmnJS) { return; }
  var marks = JSON.parse(box.getAttribute('data-marks') || '{}');
  var fallback = box.querySelector('.diagram-fallback');
  var viewer = new window.BpmnJS({ container: box.querySelector('.diagram-canvas') });

  function mark() {
    var canvas = viewer.get('canvas');
    viewer.get('elementRegistry').forEach(function (element) {
      if (element.type === 'label' || !element.businessObject) { return; }
      var name = element.businessObject.name;
      Object.keys(marks).forEach(function (kind) {
        var m = marks[kind];
        if (m.ids.indexOf(element.id) >= 0 || (name && m.names.indexOf(name) >= 0)) {
          canvas.addMarker(element.id, 'mark-' + kind);
        }
      });
    });
  }

  function show(url) {
    fallback.hidden = false;
    return fetch(url, { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        viewer.get('canvas').zoom('fit-viewport', 'auto');
        mark();
        fallback.hidden = true;
        box.setAttribute('data-ready', 'true');
      })
      .catch(function (error) {
        fallback.hidden = false;
        fallback.textContent = box.getAttribute('data-error') + ' ' + error.message;
      });
  }

  document.querySelectorAll('[data-diagram]').forEach(function (button) {
    button.addEventListener('click', function () {
      document.querySelectorAll('[data-diagram]').forEach(function (other) {
        other.classList.toggle('is-current', other === button);
        other.setAttribute('aria-pressed', other === button ? 'true' : 'false');
      });
      show(button.getAttribute('data-diagram'));
    });
  });
  show(box.getAttribute('data-url'));
})();
