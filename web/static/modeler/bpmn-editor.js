// The BPMN editor page: bpmn-js Modeler with the properties panel (bundle: EomsBpmnModeler).
// The operators the workers offer and the deployed processes are fetched for the panel's choices;
// problems found on save are highlighted with canvas markers ("eoms-problem").
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('editor-data').textContent);
  var content = JSON.parse(document.getElementById('editor-content').textContent);
  var box = document.getElementById('canvas');
  var fallback = box.querySelector('.diagram-fallback');
  var listeners = [];
  var marked = [];

  function getJSON(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : []; })
      .catch(function () { return []; });
  }

  var forms = [];
  try { forms = JSON.parse(box.getAttribute('data-forms') || '[]'); } catch (e) { forms = []; }
  var config = { forms: forms, operators: [], processes: [], text: JSON.parse(box.getAttribute('data-text') || '{}'),
                 translations: JSON.parse(box.getAttribute('data-translations') || '{}') };
  var modeler = window.EomsBpmnModeler(box, document.getElementById('properties'), config);
  var started = performance.now();

  var ready = modeler.importXML(content).then(function (result) {
    modeler.get('canvas').zoom('fit-viewport', 'auto');
    fallback.hidden = true;
    box.setAttribute('data-warnings', String((result.warnings || []).length));
    box.setAttribute('data-ready', 'true');
    box.setAttribute('data-ready-ms', String(Math.round(performance.now() - started)));
    box.setAttribute('data-ready-at', String(Math.round(performance.now())));
    modeler.on('commandStack.changed', function () { listeners.forEach(function (fn) { fn(); }); });
    if (!data.mayEdit) { box.classList.add('is-read-only'); }
  }).catch(function (error) {
    fallback.hidden = false;
    fallback.textContent = box.getAttribute('data-error') + ' ' + error.message;
  });

  // The choices arrive after the diagram is drawn, so they never delay it.
  Promise.all([getJSON(data.urls.operators), getJSON(data.urls.processes)]).then(function (found) {
    config.operators = found[0];
    config.processes = found[1];
    box.setAttribute('data-choices', 'true');
  });

  function highlight(ids) {
    var canvas = modeler.get('canvas');
    var registry = modeler.get('elementRegistry');
    marked.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, 'eoms-problem'); } });
    marked = ids.filter(function (id) { return registry.get(id); });
    marked.forEach(function (id) { canvas.addMarker(id, 'eoms-problem'); });
  }

  function select(id) {
    var element = modeler.get('elementRegistry').get(id);
    if (element) {
      modeler.get('selection').select(element);
      modeler.get('canvas').scrollToElement(element);
    }
  }

  window.EomsEditor = {
    ready: ready,
    modeler: modeler,
    getContent: function () { return modeler.saveXML({ format: true }).then(function (r) { return r.xml; }); },
    highlight: highlight,
    select: select,
    onChange: function (fn) { listeners.push(fn); }
  };
})();
