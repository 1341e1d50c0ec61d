// Read-only diagrams on the models pages: bpmn-js NavigatedViewer for .bpmn, dmn-js Viewer for
// .dmn. The file's text is in data-content; data-ready="true" once it is drawn.
(function () {
  'use strict';
  var box = document.getElementById('diagram');
  if (!box) { return; }
  var kind = box.getAttribute('data-kind') || 'bpmn';
  var fallback = box.querySelector('.diagram-fallback');
  var Viewer = kind === 'dmn' ? window.DmnJS : window.BpmnJS;
  if (!Viewer) { return; }
  var viewer = new Viewer({ container: box.querySelector('.diagram-canvas') });
  viewer.importXML(box.getAttribute('data-content'))
    .then(function (result) {
      if (kind === 'bpmn') {
        viewer.get('canvas').zoom('fit-viewport', 'auto');
      }
      var warnings = (result && result.warnings) || [];
      box.setAttribute('data-warnings', String(warnings.length));
      fallback.hidden = true;
      box.setAttribute('data-ready', 'true');
    })
    .catch(function (error) {
      fallback.hidden = false;
      fallback.textContent = box.getAttribute('data-error') + ' ' + error.message;
      box.setAttribute('data-failed', 'true');
    });
})();
