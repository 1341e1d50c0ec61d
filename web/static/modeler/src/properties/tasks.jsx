// User tasks (form files, instructions), service tasks (operator and typed parameters) and scripts.
import {
  CheckboxEntry, isCheckboxEntryEdited, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
  SelectEntry, TextAreaEntry, TextFieldEntry
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';
import { getOperator, getProperty, setOperator, setProperty } from '../extensions';
import { BodyTextEntry, text } from './common';

function FormFileEntry(props) {
  const { element, id, property, label } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const config = useService('eomsConfig');
  const current = getProperty(element, property);
  const getOptions = () => {
    const names = (config.forms || []).filter((n) => (property === 'formUiSchemaFilename') === /uischema/i.test(n));
    const options = [{ value: '', label: text(config, 'none', '(none)') }];
    names.forEach((n) => options.push({ value: n, label: n }));
    if (current && names.indexOf(current) < 0) { options.push({ value: current, label: current + ' (?)' }); }
    return options;
  };
  return <SelectEntry id={id} element={element} label={label} getOptions={getOptions}
    getValue={() => getProperty(element, property)}
    setValue={(value) => setProperty(element, property, value, bpmnFactory, modeling)} />;
}

export function userTaskGroup(element, config) {
  return {
    id: 'eoms-user-task', label: text(config, 'userTask', 'Form and instructions'),
    entries: [
      { id: 'formJsonSchemaFilename', element, component: FormFileEntry, property: 'formJsonSchemaFilename',
        label: text(config, 'formSchema', 'Form (JSON Schema file)'), isEdited: isSelectEntryEdited },
      { id: 'formUiSchemaFilename', element, component: FormFileEntry, property: 'formUiSchemaFilename',
        label: text(config, 'formUi', 'Form layout (UI schema file)'), isEdited: isSelectEntryEdited },
      { id: 'instructionsForEndUser', element, component: BodyTextEntry, type: 'spiffworkflow:InstructionsForEndUser',
        label: text(config, 'instructions', 'Instructions (Markdown, Jinja)'), rows: 6,
        isEdited: isTextAreaEntryEdited }
    ]
  };
}

function OperatorEntry(props) {
  const { element, id } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const config = useService('eomsConfig');
  const getOptions = () => {
    const options = [{ value: '', label: text(config, 'chooseOperator', '(choose an operator)') }];
    (config.operators || []).forEach((op) => options.push({ value: op.name, label: op.name }));
    const current = getOperator(element);
    if (current && current.id && !(config.operators || []).some((op) => op.name === current.id)) {
      options.push({ value: current.id, label: current.id + ' (?)' });
    }
    return options;
  };
  const setValue = (name) => {
    const op = (config.operators || []).find((o) => o.name === name);
    const before = getOperator(element) || { params: {} };
    const params = {};
    ((op && op.params) || []).forEach((p) => {
      params[p.name] = { type: p.type, value: (before.params[p.name] || {}).value || '' };
    });
    setOperator(element, name ? { id: name, resultVariable: before.resultVariable, params } : null, bpmnFactory, modeling);
  };
  const description = () => {
    const current = getOperator(element);
    const op = current && (config.operators || []).find((o) => o.name === current.id);
    return op ? op.description : undefined;
  };
  return <SelectEntry id={id} element={element} label={text(config, 'operator', 'Operator')} getOptions={getOptions}
    description={description()} getValue={() => (getOperator(element) || {}).id || ''} setValue={setValue} />;
}

function ResultVariableEntry(props) {
  const { element, id } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  return <TextFieldEntry id={id} element={element} debounce={debounce}
    label={text(config, 'resultVariable', 'Store the result in')}
    getValue={() => (getOperator(element) || {}).resultVariable || ''}
    setValue={(value) => {
      const op = getOperator(element);
      if (op) { setOperator(element, { ...op, resultVariable: value }, bpmnFactory, modeling); }
    }} />;
}

function ParameterEntry(props) {
  const { element, id, param } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const label = `${param.name} (${param.type})${param.required ? ' *' : ''}`;
  return <TextFieldEntry id={id} element={element} debounce={debounce} label={label}
    description={param.description}
    getValue={() => ((getOperator(element) || { params: {} }).params[param.name] || {}).value || ''}
    setValue={(value) => {
      const op = getOperator(element);
      if (!op) { return; }
      const params = { ...op.params, [param.name]: { type: param.type, value: value || '' } };
      setOperator(element, { ...op, params }, bpmnFactory, modeling);
    }} />;
}

export function serviceTaskGroup(element, config) {
  const entries = [{ id: 'serviceTaskOperator', element, component: OperatorEntry, isEdited: isSelectEntryEdited }];
  const current = getOperator(element);
  const op = current && (config.operators || []).find((o) => o.name === current.id);
  if (current) {
    entries.push({ id: 'serviceTaskResultVariable', element, component: ResultVariableEntry,
                   isEdited: isTextFieldEntryEdited });
  }
  ((op && op.params) || []).forEach((param) => {
    entries.push({ id: 'serviceTaskParameter-' + param.name, element, component: ParameterEntry, param,
                   isEdited: isTextFieldEntryEdited });
  });
  return { id: 'eoms-service-task', label: text(config, 'serviceTask', 'Operator'), entries };
}

function ScriptEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  const bo = getBusinessObject(element);
  return <TextAreaEntry id={id} element={element} debounce={debounce} monospace rows={8}
    label={text(config, 'script', 'Script (Python)')}
    getValue={() => bo.get('script') || ''}
    setValue={(value) => modeling.updateProperties(element, { script: value || undefined, scriptFormat: 'python' })} />;
}

export function scriptGroup(element, config) {
  const entries = [];
  if (is(element, 'bpmn:ScriptTask')) {
    entries.push({ id: 'script', element, component: ScriptEntry, isEdited: isTextAreaEntryEdited });
  }
  entries.push({ id: 'preScript', element, component: BodyTextEntry, type: 'spiffworkflow:PreScript',
                 label: text(config, 'preScript', 'Script before the task (Python)'), isEdited: isTextAreaEntryEdited });
  entries.push({ id: 'postScript', element, component: BodyTextEntry, type: 'spiffworkflow:PostScript',
                 label: text(config, 'postScript', 'Script after the task (Python)'), isEdited: isTextAreaEntryEdited });
  return { id: 'eoms-scripts', label: text(config, 'scripts', 'Scripts'), entries };
}
