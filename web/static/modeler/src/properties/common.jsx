// Shared by EOMS's property groups: labels from the page, and the panel entry for a body-text
// spiffworkflow extension.
import { TextAreaEntry } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { bodyExtension, setBodyExtension } from '../extensions';

export function text(config, key, fallback) {
  return (config.text && config.text[key]) || fallback;
}

export function BodyTextEntry(props) {
  const { element, id, type, label, description, rows } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  return <TextAreaEntry id={id} element={element} label={label} description={description} rows={rows || 4}
    monospace debounce={debounce} getValue={() => bodyExtension(element, type)}
    setValue={(value) => setBodyExtension(element, type, value, bpmnFactory, modeling)} />;
}
