// Call activity targets (processes of this file and deployed ones), decision ids and lanes.
import {
  CheckboxEntry, isCheckboxEntryEdited, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
  SelectEntry, TextAreaEntry, TextFieldEntry
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';
import { bodyExtension, setBodyExtension } from '../extensions';
import { text } from './common';
import { definitionsOf } from './events';

export function CalledElementEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const config = useService('eomsConfig');
  const canvas = useService('canvas');
  const bo = getBusinessObject(element);
  const getOptions = () => {
    const options = [{ value: '', label: text(config, 'chooseProcess', '(choose a process)') }];
    const seen = {};
    const root = definitionsOf(element);
    (root.get('rootElements') || []).filter((r) => is(r, 'bpmn:Process')).forEach((p) => {
      seen[p.get('id')] = true;
      options.push({ value: p.get('id'), label: `${p.get('id')} (${text(config, 'thisFile', 'this file')})` });
    });
    (config.processes || []).forEach((p) => {
      if (!seen[p.process_id]) {
        seen[p.process_id] = true;
        options.push({ value: p.process_id, label: `${p.process_id} (${p.model} v${p.version})` });
      }
    });
    const current = bo.get('calledElement');
    if (current && !seen[current]) { options.push({ value: current, label: current + ' (?)' }); }
    return options;
  };
  void canvas;
  return <SelectEntry id={id} element={element} label={text(config, 'calledElement', 'Calls process')}
    getOptions={getOptions} getValue={() => bo.get('calledElement') || ''}
    setValue={(value) => modeling.updateProperties(element, { calledElement: value || undefined })} />;
}

export function DecisionEntry(props) {
  const { element, id } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  return <TextFieldEntry id={id} element={element} debounce={debounce}
    label={text(config, 'decision', 'Decision id (DMN)')}
    getValue={() => bodyExtension(element, 'spiffworkflow:CalledDecisionId')}
    setValue={(value) => setBodyExtension(element, 'spiffworkflow:CalledDecisionId', value, bpmnFactory, modeling)} />;
}

export function LaneEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  return <TextFieldEntry id={id} element={element} debounce={debounce}
    label={text(config, 'lane', 'Group')}
    description={text(config, 'laneHelp', 'The lane\'s name is the group whose members work on its tasks.')}
    getValue={() => getBusinessObject(element).get('name') || ''}
    setValue={(value) => modeling.updateLabel(element, value)} />;
}
