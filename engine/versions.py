"""Comparing deployed versions, and moving running instances to a newer one when that is safe
(SpiffWorkflow's SpecDiff / migrate_workflow)."""
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from . import deployments
from .commands import audit, run_command, specs_for
from .db import db
from .errors import Conflict, Invalid
from .human_tasks import bpmn_id_of, title_of
from .models import ProcessInstance
from .specs import serializer, spec_cache

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _named(spec):
    return getattr(spec, 'bpmn_id', None)


def _describe(spec):
    return {'id': bpmn_id_of(spec), 'name': title_of(spec), 'type': type(spec).__name__}


def _process_diff(old, new):
    diff = SpecDiff(serializer().registry, old, new)
    return {
        'added': sorted((_describe(s) for s in diff.added if _named(s)), key=lambda d: d['id']),
        'removed': sorted((_describe(s) for s in diff.removed if _named(s)), key=lambda d: d['id']),
        'changed': sorted(({**_describe(s), 'properties': sorted(props)} for s, props in diff.changed.items()
                           if _named(s)), key=lambda d: d['id']),
    }


def _version_specs(version):
    return spec_cache.get(version.id, lambda: version.specs)


def diff(key, from_version, to_version):
    """Elements added, removed and changed (with the properties that changed), per process."""
    old_v, new_v = deployments.get_version(key, from_version), deployments.get_version(key, to_version)
    old, new = _version_specs(old_v), _version_specs(new_v)
    processes = {}
    for pid in sorted(set(old.processes) | set(new.processes)):
        if pid not in new.processes:
            processes[pid] = {'status': 'removed'}
        elif pid not in old.processes:
            processes[pid] = {'status': 'added'}
        else:
            processes[pid] = {'status': 'compared', **_process_diff(old.processes[pid], new.processes[pid])}
    return {'key': key, 'from_version': old_v.version, 'to_version': new_v.version, 'processes': processes}


def _blockers(workflow, spec_diff):
    """Why this (sub)workflow cannot move: its task tree holds elements the new version removed
    (a waiting one could not go on; a finished or predicted one could not be kept in the history)."""
    reasons = []
    for task in workflow.get_tasks(skip_subprocesses=True):
        if task.task_spec not in spec_diff.removed:
            continue
        what = f'"{title_of(task.task_spec)}" ({bpmn_id_of(task.task_spec)})'
        if task.has_state(ACTIVE):
            reasons.append(f'{what} is {TaskState.get_name(task.state).lower()} and the new version removed it')
        elif task.has_state(TaskState.FINISHED_MASK):
            reasons.append(f'{what} already ran and the new version removed it, so its history could not be kept')
        else:
            reasons.append(f'{what} lies ahead on the old path and the new version removed it')
    return sorted(set(reasons))


def plan(wf, new_spec, new_subspecs):
    """(reasons it is unsafe, [(workflow, WorkflowDiff, new spec)]) for moving wf to the new specs."""
    reasons, moves = [], []
    registry = serializer().registry
    top = SpecDiff(registry, wf.spec, new_spec)
    reasons += _blockers(wf, top)
    moves.append((wf, WorkflowDiff(wf, top), new_spec))
    for sub in wf.subprocesses.values():
        if sub.is_completed():
            continue
        target = new_subspecs.get(sub.spec.name)
        if target is None:
            reasons.append(f'the running subprocess "{sub.spec.name}" does not exist in the new version')
            continue
        sub_diff = SpecDiff(registry, sub.spec, target)
        reasons += _blockers(sub, sub_diff)
        moves.append((sub, WorkflowDiff(sub, sub_diff), target))
    return reasons, moves


def _check_target(inst, to_version):
    target = deployments.get_version(inst.model_key, to_version)
    if target.version <= inst.version:
        raise Invalid(f'Instance {inst.id} runs version {inst.version}; it can only move to a newer version.',
                      code='not_newer')
    if inst.process_id not in target.process_ids + target.collaborations:
        raise Invalid(f'Version {target.version} of "{inst.model_key}" has no process "{inst.process_id}".',
                      code='process_missing')
    return target


def preview(inst, to_version):
    """{'instance_id', 'from_version', 'to_version', 'can_move', 'reasons'} without changing anything."""
    from .commands import load_workflow
    target = _check_target(inst, to_version)
    if inst.status in ('completed', 'terminated'):
        reasons = [f'the instance is {inst.status}']
    else:
        new_spec, new_subs = specs_for(target.id, inst.process_id)
        reasons, _ = plan(load_workflow(inst), new_spec, new_subs)
    return {'instance_id': inst.id, 'from_version': inst.version, 'to_version': target.version,
            'can_move': not reasons, 'reasons': reasons}


def migrate(instance_id, to_version, actor):
    """Move one instance through the engine's command path; Conflict naming why when unsafe."""
    def apply(inst, wf):
        target = _check_target(inst, to_version)
        if inst.status in ('completed', 'terminated'):
            raise Conflict(f'Instance {inst.id} is {inst.status}; there is nothing to move.', code='cannot_migrate')
        new_spec, new_subs = specs_for(target.id, inst.process_id)
        reasons, moves = plan(wf, new_spec, new_subs)
        if reasons:
            raise Conflict(f'Instance {inst.id} cannot move to version {target.version}: ' + '; '.join(reasons),
                           code='cannot_migrate', details={'reasons': reasons})
        for workflow, workflow_diff, spec in moves:
            migrate_workflow(workflow_diff, workflow, spec)
        wf.subprocess_specs = new_subs
        audit(inst, actor, 'migrated', from_version=inst.version, to_version=target.version)
        inst.version_id, inst.version = target.id, target.version

    return run_command(instance_id, apply, actor)


def bulk(key, from_version, to_version, actor, dry_run=True, status=None):
    """Preview (dry_run) or move every running instance of `key` on `from_version`."""
    query = ProcessInstance.query.filter_by(model_key=key, version=from_version).filter(
        ProcessInstance.status.notin_(['completed', 'terminated']))
    if status:
        query = query.filter_by(status=status)
    results = []
    for inst in query.order_by(ProcessInstance.id).all():
        outcome = preview(inst, to_version)
        if not dry_run and outcome['can_move']:
            try:
                migrate(inst.id, to_version, actor)
                outcome['moved'] = True
            except Conflict as e:
                outcome.update(moved=False, can_move=False, reasons=(e.details or {}).get('reasons', [e.message]))
        results.append(outcome)
    db.session.rollback()
    return results
