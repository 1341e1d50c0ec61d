"""Read side of the inbox and the instance pages: filtered, sorted, paged task lists with counts
per tab, instance lists for operators, and what a diagram should mark. Queries touch only the
projection tables (human_task, task_candidate, process_instance, armed_timer, incident,
audit_event); workflow state is never loaded."""
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Index, and_, case, func, or_, select, text

from .db import db, is_sqlite
from .models import (AuditEvent, HumanTask, Incident, ModelFile, ModelVersion, ProcessInstance,
                     ProcessModel, TaskCandidate)

TABS = ('mine', 'groups', 'all')
SORTS = ('due', 'age', 'amount', 'priority')
STATUSES = ('running', 'waiting', 'completed', 'error', 'terminated')
PER_PAGE = 25

# Ready tasks oldest first (the "all" tab and its count) without reading the completed ones, which
# are most of the table. Created by migration 0002; declared here so autogenerate keeps it.
Index('ix_human_task_ready_created', HumanTask.created_at, postgresql_where=text("state = 'ready'"),
      sqlite_where=text("state = 'ready'"))
# Process-data fields the inbox shows for an order.
SUMMARY_FIELDS = ('title', 'customer', 'amount', 'urgency', 'currency')


@dataclass(frozen=True)
class InboxQuery:
    tab: str = 'groups'
    process: str = None      # model key
    order: str = None        # instance id, or words of the order title
    lane: str = None
    sort: str = 'due'
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE

    def clean(self, is_admin):
        tab = self.tab if self.tab in TABS and (self.tab != 'all' or is_admin) else 'groups'
        return replace(self, tab=tab, sort=self.sort if self.sort in SORTS else 'due',
                       page=max(1, int(self.page or 1)), per_page=min(100, max(5, int(self.per_page or PER_PAGE))),
                       process=self.process or None, order=(self.order or '').strip() or None,
                       lane=self.lane or None)


# -- JSON fields of process data, in SQL --------------------------------------------------------

def data_text(key):
    return ProcessInstance.data[key].as_string()


def data_number(key):
    """The field as a number, NULL when it is missing or not a number (never a cast error)."""
    if is_sqlite():
        kind = func.json_type(ProcessInstance.data, f'$.{key}')
        return case((kind.in_(('integer', 'real')), func.json_extract(ProcessInstance.data, f'$.{key}')), else_=None)
    return case((func.json_typeof(ProcessInstance.data[key]) == 'number', ProcessInstance.data[key].as_float()),
                else_=None)


def _summary_columns():
    return [data_text('title').label('order_title'), data_text('customer').label('customer'),
            data_number('amount').label('amount'), data_text('urgency').label('urgency'),
            data_text('currency').label('currency')]


# -- who sees which tasks -------------------------------------------------------------------

def _candidate_ids(actor):
    return select(TaskCandidate.task_id).where(or_(
        and_(TaskCandidate.kind == 'group', TaskCandidate.name.in_(list(actor.groups) or [''])),
        and_(TaskCandidate.kind == 'user', TaskCandidate.name == actor.username)))


def _scope(tab, actor):
    ready = HumanTask.state == 'ready'
    if tab == 'mine':
        return and_(HumanTask.assignee == actor.username, ready)
    if tab == 'groups':
        return and_(HumanTask.id.in_(_candidate_ids(actor)), ready)
    return ready


def _filters(q):
    found = []
    if q.process:
        found.append(ProcessInstance.model_key == q.process)
    if q.lane:
        found.append(HumanTask.lane == q.lane)
    if q.order:
        if q.order.lstrip('#').isdigit():
            found.append(HumanTask.instance_id == int(q.order.lstrip('#')))
        else:
            found.append(func.lower(data_text('title')).contains(q.order.lower(), autoescape=True))
    return found


def _order_by(q):
    urgent_first = case((data_text('urgency') == 'urgent', 0), else_=1)
    if q.sort == 'age':
        keys = [HumanTask.created_at.desc() if q.descending else HumanTask.created_at.asc()]
    elif q.sort == 'amount':
        amount = data_number('amount')
        keys = [(amount.asc() if q.descending else amount.desc()).nulls_last()]
    elif q.sort == 'priority':
        keys = [urgent_first.desc() if q.descending else urgent_first.asc(), HumanTask.created_at.asc()]
    else:
        keys = [(HumanTask.due_at.desc() if q.descending else HumanTask.due_at.asc()).nulls_last()]
    return keys + [HumanTask.created_at.asc(), HumanTask.id.asc()]


def _needs_instance(q):
    return bool(q.process or (q.order and not q.order.lstrip('#').isdigit()))


def list_inbox(actor, q, known_total=None):
    """(rows, total) for one page of a tab; q must be cleaned. Rows carry the task and a summary
    of its order (title, customer, amount, urgency from the process data). known_total: the
    tab's count when no filter is set (from tab_counts), which spares counting again."""
    filters = _filters(q)
    where = [_scope(q.tab, actor), *filters]
    columns = [HumanTask.id, HumanTask.instance_id, HumanTask.name, HumanTask.title, HumanTask.lane,
               HumanTask.assignee, HumanTask.created_at, HumanTask.due_at, ProcessInstance.model_key,
               ProcessInstance.version, *_summary_columns()]
    page = (select(*columns).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(*where).order_by(*_order_by(q)).limit(q.per_page).offset((q.page - 1) * q.per_page))
    rows = db.session.execute(page).all()
    if q.page == 1 and len(rows) < q.per_page:
        return rows, len(rows)
    if known_total is not None and not filters:
        return rows, known_total
    counted = select(func.count()).select_from(HumanTask)
    if _needs_instance(q):
        counted = counted.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    return rows, db.session.execute(counted.where(*where)).scalar_one()


def tab_counts(actor):
    """{tab: number of ready tasks} for the tabs this actor has."""
    counts = {}
    for tab in TABS if actor.is_admin else TABS[:2]:
        counts[tab] = db.session.execute(select(func.count()).select_from(HumanTask)
                                         .where(_scope(tab, actor))).scalar_one()
    return counts


def filter_choices(actor, tab):
    """(process model keys, lanes) to offer in the inbox filters. A lane is a group, so people
    choose among their own groups; admins among every group with a ready task."""
    processes = list(db.session.execute(select(ProcessModel.key).order_by(ProcessModel.key)).scalars())
    lanes = set(actor.groups) - {'admin'}
    if tab == 'all':
        lanes |= set(db.session.execute(select(TaskCandidate.name).where(TaskCandidate.kind == 'group')
                                        .distinct()).scalars())
    return processes, sorted(lanes)


# -- one task and one instance ------------------------------------------------------------------

def task_with_instance(task_id):
    """(HumanTask, ProcessInstance) or None."""
    return db.session.execute(select(HumanTask, ProcessInstance)
                              .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                              .where(HumanTask.id == str(task_id))).first()


def may_view_instance(actor, inst):
    """Admins, the initiator, and anyone who could act on, held or completed one of its tasks."""
    if actor.is_admin or inst.initiator == actor.username:
        return True
    groups = set(actor.groups)
    for task_groups, users, assignee, completed_by in db.session.execute(
            select(HumanTask.groups, HumanTask.users, HumanTask.assignee, HumanTask.completed_by)
            .where(HumanTask.instance_id == inst.id)):
        if (groups & set(task_groups or ()) or actor.username in (users or ())
                or actor.username in (assignee, completed_by)):
            return True
    return False


def open_tasks(instance_id):
    return db.session.execute(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.state == 'ready')
                              .order_by(HumanTask.created_at)).scalars().all()


def timeline(instance_id):
    return db.session.execute(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                              .order_by(AuditEvent.at, AuditEvent.id)).scalars().all()


def diagram_files(inst, current_ids=()):
    """[(name, content)] of the instance's version's BPMN files: first the one holding a current
    task (a called process's file while the order waits there), then the one with its process."""
    rows = db.session.execute(select(ModelFile.name, ModelFile.content)
                              .where(ModelFile.version_id == inst.version_id)).all()
    files = [(name, content) for name, content in rows if name.lower().endswith(('.bpmn', '.bpmn20.xml'))]
    marker = f'id="{inst.process_id}"'.encode()
    current = [f'id="{i}"'.encode() for i in current_ids]
    return sorted(files, key=lambda f: (not any(c in f[1] for c in current), marker not in f[1], f[0]))


def diagram_file(inst, name):
    return db.session.execute(select(ModelFile.content).where(ModelFile.version_id == inst.version_id,
                                                             ModelFile.name == name)).scalar_one_or_none()


def diagram_marks(inst):
    """What the diagram marks, as BPMN element ids read from the instance's saved state:
    {'done', 'current', 'waiting', 'incident': {'ids': [...], 'names': []}} (steps of called and
    embedded processes included, since one page shows whichever file holds them)."""
    from .commands import find_task, load_workflow  # the read-only half of the command path
    wf = load_workflow(inst)
    done, current, waiting = set(), set(), set()
    for workflow in (wf, *wf.subprocesses.values()):
        for task in workflow.tasks.values():
            bpmn_id = getattr(task.task_spec, 'bpmn_id', None)
            if not bpmn_id:
                continue
            if task.state in (TaskState.READY, TaskState.STARTED):
                current.add(bpmn_id)
            elif task.state == TaskState.WAITING:
                waiting.add(bpmn_id)
            elif task.state == TaskState.COMPLETED:
                done.add(bpmn_id)
    failed = set()
    for task_id in db.session.execute(select(Incident.task_id).where(
            Incident.instance_id == inst.id, Incident.resolved_at.is_(None), Incident.task_id.isnot(None))).scalars():
        task = find_task(wf, task_id)
        if task is not None and getattr(task.task_spec, 'bpmn_id', None):
            failed.add(task.task_spec.bpmn_id)
    return {'done': {'ids': sorted(done - current - waiting), 'names': []},
            'current': {'ids': sorted(current), 'names': []},
            'waiting': {'ids': sorted(waiting), 'names': []},
            'incident': {'ids': sorted(failed), 'names': []}}


# -- operators' list ------------------------------------------------------------------------

@dataclass(frozen=True)
class InstanceQuery:
    model: str = None
    version: int = None
    status: str = None
    incident: bool = False
    page: int = 1
    per_page: int = 50


def list_instances(q):
    """(rows, total), newest first; rows carry the order summary and the open incident count."""
    open_incidents = (select(func.count()).select_from(Incident)
                      .where(Incident.instance_id == ProcessInstance.id, Incident.resolved_at.is_(None))
                      .correlate(ProcessInstance).scalar_subquery())
    where = []
    if q.model:
        where.append(ProcessInstance.model_key == q.model)
    if q.version:
        where.append(ProcessInstance.version == q.version)
    if q.status in STATUSES:
        where.append(ProcessInstance.status == q.status)
    if q.incident:
        where.append(select(Incident.id).where(Incident.instance_id == ProcessInstance.id,
                                               Incident.resolved_at.is_(None)).exists())
    rows = db.session.execute(
        select(ProcessInstance.id, ProcessInstance.model_key, ProcessInstance.version, ProcessInstance.status,
               ProcessInstance.initiator, ProcessInstance.started_at, ProcessInstance.updated_at,
               ProcessInstance.ended_at, *_summary_columns(), open_incidents.label('incidents'))
        .where(*where).order_by(ProcessInstance.id.desc())
        .limit(q.per_page).offset((max(1, q.page) - 1) * q.per_page)).all()
    total = db.session.execute(select(func.count()).select_from(ProcessInstance).where(*where)).scalar_one()
    return rows, total


def model_versions():
    """{model key: [versions, newest first]} for the operators' filters."""
    found = {}
    for key, version in db.session.execute(select(ModelVersion.model_key, ModelVersion.version)
                                           .order_by(ModelVersion.model_key, ModelVersion.version.desc())):
        found.setdefault(key, []).append(version)
    return found


def open_incidents(instance_id):
    return db.session.execute(select(Incident).where(Incident.instance_id == instance_id,
                                                     Incident.resolved_at.is_(None))
                              .order_by(Incident.id)).scalars().all()


def now():
    return datetime.now(timezone.utc)
