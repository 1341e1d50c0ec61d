"""Commands people give on human tasks: complete (with validated form data), claim, unclaim."""
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from ..db import db
from ..errors import Conflict, EngineError, Forbidden, NotFound
from ..forms import validate_submission
from ..models import HumanTask, ProcessInstance
from ..projection import find_task
from ..sandbox import current_user
from .core import Actor, audit, lock_instance, run_command


def may_act(row, actor):
    return actor.is_admin or actor.username in (row.users or []) or bool(set(row.groups or []) & set(actor.groups))


def _already_done(row):
    who = f' by {row.completed_by}' if row.completed_by else ''
    when = f' at {row.completed_at.isoformat()}' if row.completed_at else ''
    state = 'completed' if row.state == 'completed' else 'no longer ready'
    return Conflict(f'Task "{row.title}" was already {state}{who}{when}.', code='task_not_ready',
                    details={'completed_by': row.completed_by,
                             'completed_at': row.completed_at.isoformat() if row.completed_at else None})


def task_row(task_id):
    row = db.session.get(HumanTask, str(task_id))
    if row is None:
        raise NotFound(f'No task {task_id}.', code='task_not_found')
    return row


def check_may_act(row, actor):
    if not may_act(row, actor):
        whom = ', '.join(row.groups or row.users or []) or 'nobody'
        raise Forbidden(f'Task "{row.title}" belongs to {whom}; you are not allowed to act on it.',
                        code='not_your_task')
    if row.assignee and row.assignee != actor.username and not actor.is_admin:
        raise Forbidden(f'Task "{row.title}" is claimed by {row.assignee}.', code='claimed_by_other')


def complete_task(task_id, data, actor, prepare=None):
    """prepare(inst, data) -> data, when given, runs in the command's transaction once the task is
    known to be ready, and its answer is what gets checked against the form and completes the
    task: a caller stores there what the data refers to (uploaded files), so both are committed
    or rolled back together."""
    row, version_id = _task_and_version(task_id)
    if row.state != 'ready':
        raise _already_done(row)
    check_may_act(row, actor)
    if prepare is None:
        validate_submission(version_id, row.form_file, data, row.title)
    as_admin = not may_act(row, Actor(actor.username, tuple(g for g in actor.groups if g != 'admin')))

    def apply(inst, wf):
        task = find_task(wf, row.id)
        if task is None or task.state != TaskState.READY:
            raise _already_done(db.session.get(HumanTask, row.id, populate_existing=True))
        form_data = data
        if prepare is not None:  # again on a retry: the rolled-back attempt stored nothing
            form_data = prepare(inst, data)
            validate_submission(version_id, row.form_file, form_data, row.title)
        if hasattr(task.task_spec, 'add_data_from_form'):
            task.task_spec.add_data_from_form(task, form_data)
        else:
            DeepMerge.merge(task.data, form_data)
        user = current_user.set(actor.script_view())
        try:
            task.run()
        finally:
            current_user.reset(user)
        audit(inst, actor, 'task_completed', row.title, task_id=row.id, task=row.name, as_admin=as_admin,
              fields=sorted(form_data))
        return {row.id: actor.username}

    return run_command(row.instance_id, apply, actor)


def _task_and_version(task_id):
    found = db.session.execute(select(HumanTask, ProcessInstance.version_id)
                               .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                               .where(HumanTask.id == str(task_id))).first()
    if found is None:
        raise NotFound(f'No task {task_id}.', code='task_not_found')
    return found


def claim(task_id, actor):
    row = task_row(task_id)
    if not may_act(row, actor):
        check_may_act(row, actor)
    # The instance row first, as every command takes it: a claim never waits on a completion
    # while holding the task row (that order deadlocks on PostgreSQL).
    inst = lock_instance(row.instance_id)
    row = db.session.get(HumanTask, row.id, populate_existing=True)
    if row.state != 'ready':
        db.session.rollback()
        raise _already_done(row)
    if row.assignee == actor.username:
        db.session.rollback()
        return row
    if row.assignee is not None:
        db.session.rollback()
        raise Conflict(f'Task "{row.title}" is already claimed by {row.assignee}.', code='already_claimed',
                       details={'assignee': row.assignee})
    updated = HumanTask.query.filter_by(id=row.id, state='ready', assignee=None).update({'assignee': actor.username})
    if not updated:
        db.session.rollback()
        raise Conflict(f'Task "{row.title}" was claimed by someone else meanwhile.', code='already_claimed')
    audit(inst, actor, 'claimed', row.title, task_id=row.id)
    db.session.commit()
    return db.session.get(HumanTask, row.id, populate_existing=True)


def unclaim(task_id, actor):
    inst = lock_instance(task_row(task_id).instance_id)
    row = db.session.get(HumanTask, str(task_id), populate_existing=True)
    try:
        if row.state != 'ready':
            raise _already_done(row)  # noqa: the except below rolls back first
        if row.assignee is None:
            db.session.rollback()
            return row
        if row.assignee != actor.username and not actor.is_admin:
            raise Forbidden(f'Task "{row.title}" is claimed by {row.assignee}; only they or an admin can release '
                            'it.', code='claimed_by_other')
    except EngineError:
        db.session.rollback()
        raise
    row.assignee = None
    audit(inst, actor, 'unclaimed', row.title, task_id=row.id)
    db.session.commit()
    return row

