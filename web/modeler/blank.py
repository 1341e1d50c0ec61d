"""Blank files for new models: a diagram with one start event, a decision table, a form."""
import json
import re
from xml.sax.saxutils import quoteattr


def _ncname(text, prefix):
    ident = re.sub(r'[^A-Za-z0-9_.-]', '_', text or '')
    return ident if re.match(r'^[A-Za-z_]', ident) else f'{prefix}_{ident}'


def blank_bpmn(key, name=None):
    pid = _ncname(key, 'Process')
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="{pid}_definitions" targetNamespace="http://bpmn.io/schema/bpmn" exporter="EOMS" exporterVersion="1.0">
  <bpmn:process id="{pid}" name={quoteattr(name or key)} isExecutable="true">
    <bpmn:startEvent id="{pid}_start" name="Start" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="{pid}_diagram">
    <bpmndi:BPMNPlane id="{pid}_plane" bpmnElement="{pid}">
      <bpmndi:BPMNShape id="{pid}_start_di" bpmnElement="{pid}_start">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
'''


def blank_dmn(stem):
    ident = _ncname(stem, 'Decision')
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="{ident}_definitions" name={quoteattr(stem)} namespace="http://eoms.example/dmn">
  <decision id="{ident}" name={quoteattr(stem)}>
    <decisionTable id="{ident}_table" hitPolicy="UNIQUE">
      <input id="{ident}_input" label="Input">
        <inputExpression id="{ident}_input_expression" typeRef="string" expressionLanguage="python">
          <text>value</text>
        </inputExpression>
      </input>
      <output id="{ident}_output" label="Output" name="result" typeRef="string" />
      <rule id="{ident}_rule">
        <inputEntry id="{ident}_rule_in"><text>-</text></inputEntry>
        <outputEntry id="{ident}_rule_out"><text>""</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <dmndi:DMNDI>
    <dmndi:DMNDiagram id="{ident}_diagram">
      <dmndi:DMNShape id="{ident}_shape" dmnElementRef="{ident}">
        <dc:Bounds height="80" width="180" x="160" y="100" />
      </dmndi:DMNShape>
    </dmndi:DMNDiagram>
  </dmndi:DMNDI>
</definitions>
'''


def blank_form(stem):
    if 'uischema' in stem.lower():
        return json.dumps({'ui:order': ['*']}, indent=2) + '\n'
    return json.dumps({'$schema': 'https://json-schema.org/draft/2020-12/schema', 'title': stem,
                       'type': 'object', 'additionalProperties': False, 'required': [],
                       'properties': {'comment': {'type': 'string', 'title': 'Comment'}}}, indent=2) + '\n'
