"""SpiffWorkflow configuration: the parser, the serializer of specs and instance state, and an
in-memory cache of parsed specs per deployed version."""
import json
import threading
from uuid import UUID
from collections import OrderedDict

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter

from .sandbox import SCRIPT_ENGINE
from .service_tasks import EomsParser, QueuedServiceTask

__all__ = ['new_parser', 'VALIDATOR', 'dump_specs', 'SpecCache', 'dump_state', 'load_state']

SPECS_FORMAT = 1


def new_parser():
    return EomsParser(validator=VALIDATOR)


class _StateByReference(BpmnWorkflowConverter):
    """Instance state without its specs: they are stored once per deployed version and handed
    back in on load (`__specs__`), which makes state 3x smaller and loads 4x faster."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct['subprocesses'] = self.mapping_to_dict(workflow.subprocesses)
        dct['bpmn_events'] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subprocess_specs = dct.pop('__specs__')
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct['tasks'], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct['root']))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct['subprocesses'], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop('bpmn_events', []))
        return workflow


def _make_serializer():
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _StateByReference
    config[QueuedServiceTask] = ServiceTaskConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_local = threading.local()


def serializer():
    """One serializer per thread: its registry carries a mode flag while it encodes."""
    s = getattr(_local, 'serializer', None)
    if s is None:
        s = _local.serializer = _make_serializer()
    return s


def _encode(obj_to_dict):
    s = serializer()
    s.registry._encoder_mode = True
    try:
        return json.dumps(obj_to_dict(s), cls=s._encoder_cls, separators=(',', ':'), ensure_ascii=False)
    finally:
        s.registry._encoder_mode = False


class _JustSaved:
    """The last few workflows this process saved, by the text they were saved as. The next command
    on an instance (a worker going on with its chain of service tasks) loads exactly that text:
    it gets the object back instead of decoding it again. Each is handed out once, so no two
    commands share one; one that changes it and then fails never puts it back."""

    def __init__(self, size=8):
        self.size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def put(self, text, workflow):
        with self._lock:
            self._items[text] = workflow
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def take(self, text, spec, subprocess_specs):
        with self._lock:
            workflow = self._items.pop(text, None)
        if workflow is None or workflow.spec is not spec or workflow.subprocess_specs != subprocess_specs:
            return None
        return workflow


_just_saved = _JustSaved()


def dump_state(workflow):
    """The state as text. The workflow must not change after this (it may be handed out again by
    `load_state` for the same text)."""
    def convert(s):
        dct = s.to_dict(workflow)
        dct[s.VERSION_KEY] = s.VERSION
        return dct
    text = _encode(convert)
    _just_saved.put(text, workflow)
    return text


def load_state(text, spec, subprocess_specs):
    workflow = _just_saved.take(text, spec, subprocess_specs)
    if workflow is not None:
        return workflow
    s = serializer()
    dct = json.loads(text, cls=s.json_decoder_cls)
    s.migrate(dct)
    dct['__specs__'] = (spec, subprocess_specs)
    workflow = s.from_dict(dct)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def dump_specs(processes, collaborations, dependencies):
    """All specs of a version in one document: each process and collaboration spec once, and for
    every startable id the ids of the subprocess specs it needs."""
    return _encode(lambda s: {
        'format': SPECS_FORMAT,
        'processes': {pid: s.registry.convert(spec) for pid, spec in processes.items()},
        'collaborations': {cid: s.registry.convert(spec) for cid, spec in collaborations.items()},
        'dependencies': dependencies,
    })


def _attach_event_subprocesses(spec):
    """SpiffWorkflow 3.2 connects an event subprocess with a message (or other non-timer) start
    to the process start only in memory, when the first such message arrives, on the spec object
    itself. Specs are cached and shared here, so that would give every instance started later an
    extra branch that never ends, while a process that never saw the message cannot finish the
    subprocess ("No input task connected"). Give each one its input up front instead, without
    the output that would start it unasked."""
    start = getattr(spec, 'start', None)
    for name in getattr(start, 'trigger_specs', None) or []:
        task_spec = spec.task_specs.get(name)
        if task_spec is not None and start not in task_spec.inputs:
            task_spec._connect_notify(start)


class _VersionSpecs:
    def __init__(self, text):
        s = serializer()
        doc = json.loads(text, cls=s.json_decoder_cls)
        self.processes = {pid: s.registry.restore(d) for pid, d in doc['processes'].items()}
        self.collaborations = {cid: s.registry.restore(d) for cid, d in doc['collaborations'].items()}
        for spec in (*self.processes.values(), *self.collaborations.values()):
            _attach_event_subprocesses(spec)
        self.dependencies = doc['dependencies']

    def for_start(self, start_id):
        spec = self.processes.get(start_id) or self.collaborations.get(start_id)
        if spec is None:
            return None
        subs = {pid: self.processes[pid] for pid in self.dependencies.get(start_id, []) if pid in self.processes}
        return spec, subs


class SpecCache:
    """Parsed specs by version id, least recently used dropped first. Specs are read-only at run
    time, so instances and threads share them."""

    def __init__(self, size=64):
        self.size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version_id, load_text):
        with self._lock:
            item = self._items.get(version_id)
            if item is not None:
                self._items.move_to_end(version_id)
                return item
        item = _VersionSpecs(load_text())
        with self._lock:
            self._items[version_id] = item
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return item


spec_cache = SpecCache()
