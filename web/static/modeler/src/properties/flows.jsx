// Conditions on the flows leaving an exclusive or inclusive gateway, and the default flow.
import {
  CheckboxEntry, isCheckboxEntryEdited, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
  SelectEntry, TextAreaEntry, TextFieldEntry
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';
import { text } from './common';

function ConditionEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  const bo = getBusinessObject(element);
  return <TextAreaEntry id={id} element={element} debounce={debounce} monospace rows={2}
    label={text(config, 'condition', 'Condition (Python expression)')}
    description={text(config, 'conditionHelp', 'e.g. amount > 100000')}
    getValue={() => (bo.get('conditionExpression') && bo.get('conditionExpression').get('body')) || ''}
    setValue={(value) => {
      const expression = value ? bpmnFactory.create('bpmn:FormalExpression', { body: value }) : undefined;
      modeling.updateProperties(element, { conditionExpression: expression });
    }} />;
}

function DefaultFlowEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const config = useService('eomsConfig');
  const source = element.source;
  return <CheckboxEntry id={id} element={element} label={text(config, 'defaultFlow', 'Default flow (taken when no condition holds)')}
    getValue={() => getBusinessObject(source).get('default') === getBusinessObject(element)}
    setValue={(value) => modeling.updateProperties(source, { default: value ? getBusinessObject(element) : undefined })} />;
}

export function conditionGroup(element, config) {
  return {
    id: 'eoms-condition', label: text(config, 'conditionGroup', 'Condition'),
    entries: [
      { id: 'conditionExpression', element, component: ConditionEntry, isEdited: isTextAreaEntryEdited },
      { id: 'defaultFlow', element, component: DefaultFlowEntry, isEdited: isCheckboxEntryEdited }
    ]
  };
}
