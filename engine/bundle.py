"""Turns an uploaded bundle (.bpmn, .dmn, .json forms) into parsed specs, or into a list of
problems, each naming its file and element so a modeler can highlight it."""
import json
import os
from dataclasses import dataclass, field

import jsonschema
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins import (CallActivityMixin, ScriptTaskMixin as ScriptTask,
                                           ServiceTaskMixin as ServiceTask, UserTaskMixin as UserTask)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import service_tasks, xml_safety
from .errors import Invalid, ScriptError
from .sandbox import SCRIPT_ENGINE
from .specs import VALIDATOR, new_parser

BPMN_EXT = ('.bpmn', '.bpmn20.xml')
FORM_PROPERTIES = ('formJsonSchemaFilename', 'formUiSchemaFilename')


@dataclass
class ParsedBundle:
    files: dict
    processes: dict = field(default_factory=dict)       # executable process id -> spec
    collaborations: dict = field(default_factory=dict)  # collaboration id -> spec
    dependencies: dict = field(default_factory=dict)    # startable id -> subprocess ids it needs
    process_ids: list = field(default_factory=list)
    collaboration_ids: list = field(default_factory=list)
    primary_process_id: str = None
    candidates: list = field(default_factory=list)
    start_messages: dict = field(default_factory=dict)  # message name -> process ids it starts

    @property
    def executable(self):
        return bool(self.process_ids or self.collaboration_ids)


def problem(file, message, element_id=None, line=None):
    return {'file': file, 'element_id': element_id, 'line': line, 'message': message}


def kind_of(name):
    lower = name.lower()
    if lower.endswith(BPMN_EXT):
        return 'bpmn'
    if lower.endswith('.dmn'):
        return 'dmn'
    if lower.endswith('.json'):
        return 'form'
    return None


def check_names(files):
    problems = []
    for name in files:
        if os.path.basename(name) != name or name.startswith('.') or not name.strip():
            problems.append(problem(name, 'File names may not contain folders or start with a dot.'))
        elif kind_of(name) is None:
            problems.append(problem(name, 'Unsupported file type: upload .bpmn, .dmn or .json (form schema) files.'))
    if not any(kind_of(n) == 'bpmn' for n in files):
        problems.append(problem(None, 'The bundle holds no .bpmn file.'))
    return problems


def refuse_unsafe_xml(files):
    unsafe = []
    for name, content in files.items():
        if kind_of(name) in ('bpmn', 'dmn'):
            found = xml_safety.unsafe_declaration(content)
            if found:
                unsafe.append(problem(name, f'The file declares a {found}. Declarations (DTDs, entities) are '
                                            'refused because they can read server files or expand without '
                                            'bound; export the diagram again without them.'))
    if unsafe:
        raise Invalid('The bundle contains unsafe XML: ' + '; '.join(p['file'] for p in unsafe) + '.',
                      code='unsafe_xml', details=unsafe)


def _element_id(tree, entry):
    try:
        namespaces = {prefix: uri for prefix, uri in tree.nsmap.items() if prefix}
        found = tree.getroottree().xpath(entry.path, namespaces=namespaces) if entry.path else []
    except etree.XPathError:
        found = []
    node = found[0] if found else None
    while node is not None and not node.get('id'):
        node = node.getparent()
    return node.get('id') if node is not None else None


def _schema_problems(name, tree, validator):
    validator.preprocess(tree)
    if validator.validator.validate(tree):
        return []
    return [problem(name, f'Schema violation: {e.message}', _element_id(tree, e), e.line)
            for e in validator.validator.error_log]


def parse_xml(files):
    trees, problems = {}, []
    for name, content in files.items():
        if kind_of(name) not in ('bpmn', 'dmn'):
            continue
        try:
            trees[name] = xml_safety.parse(content)
        except etree.XMLSyntaxError as e:
            problems.append(problem(name, f'Malformed XML: {e.msg}', line=e.lineno))
            continue
        if kind_of(name) == 'bpmn':
            problems += _schema_problems(name, trees[name], VALIDATOR)
    return trees, problems


def parse_forms(files):
    forms, problems = {}, []
    for name, content in files.items():
        if kind_of(name) != 'form':
            continue
        try:
            doc = json.loads(content.decode('utf-8-sig'))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            problems.append(problem(name, f'Not valid JSON: {e}'))
            continue
        if not isinstance(doc, dict):
            problems.append(problem(name, 'A form file must hold a JSON object (a JSON Schema or a UI schema).'))
            continue
        if 'ui' not in name.lower():
            try:
                jsonschema.validators.validator_for(doc).check_schema(doc)
            except jsonschema.SchemaError as e:
                where = '/'.join(str(p) for p in e.path) or '(root)'
                problems.append(problem(name, f'Not a valid JSON Schema at {where}: {e.message}'))
                continue
        forms[name] = doc
    return forms, problems


def _from_spiff(name, error):
    if isinstance(error, ValidationException):
        return problem(name if not error.file_name else error.file_name, str(error.args[0] if error.args else error),
                       error.id or None, error.line_number or None)
    return problem(name, str(error))


def descriptive(tree):
    """A diagram whose every process says isExecutable="false" (a missing attribute counts as
    executable): it is stored for viewing, and never handed to the engine's parser, which would
    refuse elements it cannot run (data stores, say) that such a diagram may well hold."""
    processes = tree.xpath('//*[local-name()="process"]')
    return bool(processes) and all(p.get('isExecutable') == 'false' for p in processes)


def load_into_parser(trees):
    parser, problems = new_parser(), []
    for name, tree in trees.items():
        if kind_of(name) == 'bpmn' and descriptive(tree):
            continue
        try:
            if kind_of(name) == 'dmn':
                parser.add_dmn_xml(tree, filename=name)
            else:
                parser.add_bpmn_xml(tree, filename=name)
        except (ValidationException, SpiffWorkflowException) as e:
            problems.append(_from_spiff(name, e))
    return parser, problems


def _service_problems(task_spec, where, bpmn_id):
    name = task_spec.bpmn_name or bpmn_id
    operator = getattr(task_spec, 'operation_name', None)
    known = service_tasks.operator_names
    if not operator:
        return [problem(where, f'Service task "{name}" names no operator (spiffworkflow:serviceTaskOperator).',
                        bpmn_id)]
    if known is not None and operator not in known:
        return [problem(where, f'Service task "{name}" calls operator "{operator}", which no worker offers '
                               f'(available: {", ".join(sorted(known)) or "none"}).', bpmn_id)]
    bad = []
    for param, spec in (getattr(task_spec, 'operation_params', None) or {}).items():
        try:
            SCRIPT_ENGINE.validate(spec.get('value') or 'None')
        except (ScriptError, SyntaxError) as e:
            bad.append(problem(where, f'Parameter "{param}" of service task "{name}" is not a valid expression: {e}',
                               bpmn_id))
    return bad


def _task_problems(spec, files, forms, parser):
    problems = []
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, 'bpmn_id', None)
        if bpmn_id is None:
            continue
        where = spec.file
        if isinstance(task_spec, UserTask):
            props = (getattr(task_spec, 'extensions', None) or {}).get('properties') or {}
            for prop in FORM_PROPERTIES:
                form = props.get(prop)
                if form and form not in forms:
                    problems.append(problem(where, f'User task "{task_spec.bpmn_name or bpmn_id}" uses the form '
                                                   f'file "{form}", which is not in the bundle.', bpmn_id))
        if isinstance(task_spec, ServiceTask):
            problems += _service_problems(task_spec, where, bpmn_id)
        if isinstance(task_spec, ScriptTask):
            try:
                SCRIPT_ENGINE.validate(task_spec.script or '')
            except (ScriptError, SyntaxError) as e:
                problems.append(problem(where, f'Script of "{task_spec.bpmn_name or bpmn_id}" is not allowed: {e}',
                                        bpmn_id))
        if isinstance(task_spec, CallActivityMixin):
            if parser.get_process_parser(task_spec.spec) is None:
                problems.append(problem(where, f'Call activity "{task_spec.bpmn_name or bpmn_id}" calls process '
                                               f'"{task_spec.spec}", which no file of the bundle defines.', bpmn_id))
    return problems


def _has_start_event(spec):
    return any(isinstance(ts, StartEvent) for ts in spec.task_specs.values())


def top_level_process_ids(trees):
    """Ids of <process> elements: SpiffWorkflow also lists embedded subprocesses as processes."""
    ids = set()
    for tree in trees.values():
        ids.update(tree.xpath('/*[local-name()="definitions"]/*[local-name()="process"]/@id'))
    return ids


def start_messages(trees, process_ids):
    """Message name -> the processes whose own start event waits for it. (SpiffWorkflow's
    start_messages() searches the whole file, so every process of a file would look started.)"""
    found = {}
    for tree in trees.values():
        names = {m.get('id'): m.get('name') for m in tree.xpath('//*[local-name()="message"]')}
        for process in tree.xpath('/*[local-name()="definitions"]/*[local-name()="process"]'):
            if process.get('id') not in process_ids:
                continue
            for definition in process.xpath('./*[local-name()="startEvent"]/*[local-name()="messageEventDefinition"]'):
                name = names.get(definition.get('messageRef'))
                if name and process.get('id') not in found.get(name, []):
                    found.setdefault(name, []).append(process.get('id'))
    return found


def collect_specs(parser, files, forms, top_level):
    bundle, problems = ParsedBundle(files=files), []
    for pid in sorted(set(parser.get_process_ids()) & top_level):
        try:
            spec = parser.get_spec(pid)
        except (ValidationException, SpiffWorkflowException) as e:
            problems.append(_from_spiff(parser.get_process_parser(pid).filename, e))
            continue
        if not _has_start_event(spec):
            problems.append(problem(spec.file, f'Process "{pid}" has no start event.', pid))
        problems += _task_problems(spec, files, forms, parser)
        bundle.processes[pid] = spec
    if problems:
        return bundle, problems
    for pid in list(bundle.processes):
        try:
            subs = parser.get_subprocess_specs(pid)
        except (ValidationException, SpiffWorkflowException) as e:
            problems.append(_from_spiff(None, e))
            continue
        for sub_id, sub in subs.items():
            if sub is not None and sub_id not in bundle.processes:
                bundle.processes[sub_id] = sub
                problems += _task_problems(sub, files, forms, parser)
        bundle.dependencies[pid] = sorted(subs)
    for cid in sorted(parser.collaborations):
        members = parser.collaborations[cid]
        if not any((parser.get_process_parser(p) and parser.get_process_parser(p).process_executable)
                   for p in members):
            continue
        try:
            spec, subs = parser.get_collaboration(cid)
        except (ValidationException, SpiffWorkflowException) as e:
            problems.append(_from_spiff(None, e))
            continue
        bundle.collaborations[cid] = spec
        for sub_id, sub in subs.items():
            bundle.processes.setdefault(sub_id, sub)
        bundle.dependencies[cid] = sorted(subs)
    bundle.process_ids = sorted(set(parser.get_process_ids()) & top_level)
    bundle.collaboration_ids = sorted(bundle.collaborations)
    return bundle, problems


def choose_primary(bundle, parser, requested):
    if requested:
        if requested not in bundle.process_ids and requested not in bundle.collaboration_ids:
            known = ', '.join(bundle.process_ids + bundle.collaboration_ids) or 'none'
            return [problem(None, f'primary_process_id "{requested}" is not an executable process or '
                                  f'collaboration of the bundle (executable: {known}).')]
        bundle.primary_process_id = requested
        return []
    called = set(parser.get_process_dependencies())
    bundle.candidates = [pid for pid in bundle.process_ids if pid not in called]
    if len(bundle.candidates) == 1:
        bundle.primary_process_id = bundle.candidates[0]
    elif not bundle.process_ids and len(bundle.collaboration_ids) == 1:
        bundle.primary_process_id = bundle.collaboration_ids[0]
    return []


def parse_bundle(files, primary_process_id=None):
    """ParsedBundle for a valid bundle; raises Invalid listing every problem otherwise."""
    problems = check_names(files)
    if problems:
        raise Invalid('The bundle cannot be deployed: ' + problems[0]['message'], code='invalid_bundle',
                      details=problems)
    refuse_unsafe_xml(files)
    trees, problems = parse_xml(files)
    forms, form_problems = parse_forms(files)
    problems += form_problems
    if not problems:
        parser, problems = load_into_parser(trees)
    if not problems:
        bundle, problems = collect_specs(parser, files, forms, top_level_process_ids(trees))
    if not problems:
        problems = choose_primary(bundle, parser, primary_process_id)
        bundle.start_messages = start_messages(trees, set(bundle.process_ids))
    if problems:
        first = problems[0]
        where = first['file'] + (f' ({first["element_id"]})' if first.get('element_id') else '') if first['file'] else ''
        raise Invalid(f'The bundle has {len(problems)} problem(s); first: {where + ": " if where else ""}'
                      f'{first["message"]}', code='invalid_model', details=problems)
    return bundle
