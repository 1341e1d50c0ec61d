// The bundle the BPMN editor page loads (built by scripts/copy_vendor.mjs with esbuild into
// web/static/vendor/eoms-modeler/): bpmn-js Modeler, the properties panel, the spiffworkflow
// moddle extension and EOMS's properties provider.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import spiffworkflow from './spiffworkflow.json';
import SpiffPropertiesProvider from './SpiffPropertiesProvider.jsx';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/assets/properties-panel.css';

const SpiffPropertiesModule = {
  __init__: ['spiffPropertiesProvider'],
  spiffPropertiesProvider: ['type', SpiffPropertiesProvider]
};

window.EomsBpmnModeler = function (canvas, panel, config) {
  return new BpmnModeler({
    container: canvas,
    keyboard: { bindTo: document },
    propertiesPanel: { parent: panel },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, SpiffPropertiesModule,
                        { eomsConfig: ['value', config || {}] }],
    moddleExtensions: { spiffworkflow }
  });
};
