"""Checks the modeler adds to the engine's validation, on executable processes only:
- exclusive and inclusive gateways whose outgoing flows lack a condition (the engine would only
  notice when an instance gets there);
- what other engines (Camunda 7/8, Activiti, Flowable) run that EOMS cannot: Java classes,
  delegate and JUEL/FEEL expressions (`${...}`, `#{...}`, `=...`), external-task topics,
  connectors, listeners and scripts in languages other than Python;
- required parameters of a known service-task operator left empty;
- decision-table cells that are not Python (dmn_checks.py).
Each problem names its file and element like the engine's, so the modeler can highlight it."""
import re

from lxml import etree

from engine import xml_safety
from engine.bundle import kind_of, problem
from .dmn_checks import dmn_problems

BPMN = 'http://www.omg.org/spec/BPMN/20100524/MODEL'
FOREIGN = {'http://camunda.org/schema/1.0/bpmn': 'camunda', 'http://camunda.org/schema/zeebe/1.0': 'zeebe',
           'http://activiti.org/bpmn': 'activiti', 'http://flowable.org/bpmn': 'flowable',
           'http://www.jboss.org/drools': 'drools'}
# Attributes that hand an element's work to code of another engine.
RUNS_CODE = {'class': 'a Java class', 'delegateExpression': 'a delegate expression', 'expression': 'an expression',
             'topic': 'an external-task topic', 'decisionRef': 'a decision of another engine',
             'type': 'an implementation type'}
# Extension elements that do the same.
RUNS_CODE_ELEMENTS = {'connector': 'a connector', 'executionListener': 'an execution listener',
                      'taskListener': 'a task listener', 'taskDefinition': 'a job worker task definition',
                      'calledDecision': 'a decision of another engine', 'script': 'a script of another engine',
                      'field': 'an injected field', 'calledElement': 'a called process of another engine'}
EXPRESSION = re.compile(r'[$#]\{')
EXPRESSION_TAGS = {'conditionExpression', 'timeDuration', 'timeDate', 'timeCycle', 'completionCondition',
                   'loopCardinality', 'script', 'formalExpression'}
FOREIGN_CHECK = 'foreign_engine'
PYTHON = {None, '', 'python', 'text/python', 'text/x-python', 'http://www.python.org/'}


def _local(tag):
    return etree.QName(tag).localname if isinstance(tag, str) else None


def _ns(tag):
    return etree.QName(tag).namespace if isinstance(tag, str) else None


def _owner(node):
    """The nearest element with an id: the one to name and highlight."""
    while node is not None and not node.get('id'):
        node = node.getparent()
    return node


def describe(node):
    kind = re.sub(r'(?<!^)(?=[A-Z])', ' ', _local(node.tag) or 'element').lower()
    name = (node.get('name') or '').strip()
    return f'{kind} "{name}" ({node.get("id")})' if name else f'{kind} {node.get("id")}'


def executable_processes(tree):
    return [p for p in tree.iter(f'{{{BPMN}}}process') if p.get('isExecutable', 'true').lower() != 'false']


def _gateway_problems(name, process):
    problems = []
    flows = [f for f in process.iter(f'{{{BPMN}}}sequenceFlow')]
    for kind in ('exclusiveGateway', 'inclusiveGateway'):
        for gateway in process.iter(f'{{{BPMN}}}{kind}'):
            outgoing = [f for f in flows if f.get('sourceRef') == gateway.get('id')]
            if len(outgoing) < 2:
                continue
            default = gateway.get('default')
            missing = [f.get('id') for f in outgoing if f.get('id') != default and not _condition(f)]
            if missing:
                problems.append(problem(
                    name, f'Gateway {_label(gateway)} has '
                          f'{len(missing)} outgoing flow(s) without a condition ({", ".join(missing)})'
                          + ('' if default else ' and no default flow')
                          + ': give each outgoing flow a condition, or mark one as the default flow.',
                    gateway.get('id')))
    return problems


def _label(node):
    name = (node.get('name') or '').strip()
    return f'"{name}" ({node.get("id")})' if name else node.get('id')


def _condition(flow):
    node = flow.find(f'{{{BPMN}}}conditionExpression')
    return node is not None and (node.text or '').strip() != ''


def _foreign_problems(name, process):
    found = {}

    def add(node, reason):
        owner = _owner(node)
        key = owner.get('id') if owner is not None else None
        found.setdefault(key, (owner, []))
        if reason not in found[key][1]:
            found[key][1].append(reason)

    for node in process.iter():
        if not isinstance(node.tag, str):
            continue
        for attr, value in node.attrib.items():
            prefix = FOREIGN.get(_ns(attr))
            local = _local(attr)
            if prefix and (local in RUNS_CODE or EXPRESSION.search(value or '')):
                what = RUNS_CODE.get(local, 'an expression of another engine')
                add(node, f'{prefix}:{local}="{value}" ({what})')
        prefix = FOREIGN.get(_ns(node.tag))
        if prefix and _local(node.tag) in RUNS_CODE_ELEMENTS:
            add(node, f'{prefix}:{_local(node.tag)} ({RUNS_CODE_ELEMENTS[_local(node.tag)]})')
        elif prefix and node.text and EXPRESSION.search(node.text):
            add(node, f'{prefix}:{_local(node.tag)} holds the expression {node.text.strip()[:80]!r}')
        if _ns(node.tag) == BPMN and _local(node.tag) in EXPRESSION_TAGS:
            text = (node.text or '').strip()
            if EXPRESSION.search(text) or text.startswith('='):
                add(node, f'the {_local(node.tag)} {text[:80]!r} is a JUEL/FEEL expression')
            language = node.get('language') if _local(node.tag) != 'script' else node.getparent().get('scriptFormat')
            if (language or '').strip().lower() not in PYTHON:
                add(node, f'the {_local(node.tag)} is written in {language!r}')
        if _ns(node.tag) == BPMN and _local(node.tag) == 'scriptTask':
            fmt = (node.get('scriptFormat') or '').strip().lower()
            if fmt not in PYTHON:
                add(node, f'the script is written in {node.get("scriptFormat")!r}')
    problems = []
    for element_id, (owner, reasons) in found.items():
        what = describe(owner) if owner is not None else 'an element'
        problems.append({**problem(name, f'The {what} uses what another engine runs and EOMS cannot: '
                                         f'{"; ".join(reasons)}. Use Python expressions and spiffworkflow '
                                         'service-task operators, or upload the diagram for viewing only.',
                                   element_id), 'check': FOREIGN_CHECK})
    return problems


SPIFF = 'http://spiffworkflow.org/bpmn/schema/1.0/core'


def _parameter_problems(name, process, operators):
    """Required parameters of a known operator left without a value (the worker would refuse the
    job at run time)."""
    problems = []
    for task in process.iter(f'{{{BPMN}}}serviceTask'):
        op = task.find(f'{{{BPMN}}}extensionElements/{{{SPIFF}}}serviceTaskOperator')
        spec = operators.get(op.get('id')) if op is not None else None
        if spec is None:
            continue
        given = {p.get('id'): (p.get('value') or '').strip() for p in op.iter(f'{{{SPIFF}}}parameter')}
        missing = [f'{p["name"]} ({p["type"]})' for p in spec['params'] if p['required'] and not given.get(p['name'])]
        if missing:
            problems.append(problem(name, f'Service task {_label(task)} calls "{op.get("id")}" without its required '
                                          f'parameter(s) {", ".join(missing)}.', task.get('id')))
    return problems


def check_bundle(files, operators=None):
    """Problems in the executable processes of the bundle's diagrams (files: {name: bytes});
    operators: {name: described operator} whose required parameters are checked. Files that do
    not parse are left to the engine, which reports them."""
    problems = []
    for name, content in files.items():
        if kind_of(name) not in ('bpmn', 'dmn') or xml_safety.unsafe_declaration(content):
            continue
        try:
            tree = xml_safety.parse(content)
        except etree.XMLSyntaxError:
            continue
        if kind_of(name) == 'dmn':
            problems += dmn_problems(name, tree)
            continue
        for process in executable_processes(tree):
            problems += _foreign_problems(name, process)
            problems += _gateway_problems(name, process)
            problems += _parameter_problems(name, process, operators or {})
    return problems


def foreign_only(problems):
    return [p for p in problems if p.get('check') == FOREIGN_CHECK]
