"""Rows of work handed out after commit. Written in the command's transaction; dispatched once the
transaction commits, by the dispatcher registered for their kind; re-sent while they stay pending.

A worker reporting a service task's outcome may `keep` the requests that report's command emits for
the same instance: those rows are written already dispatched, to that worker, which runs them next
instead of sending them round through the queue. If it dies first, `redispatch_stale` re-sends them
like any job that died."""
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, update

from . import fastsql
from .db import db
from .models import Outbox, utcnow

log = logging.getLogger(__name__)
_dispatchers = {}
# A row sent this often without an outcome (its job keeps dying or timing out) is given up on.
MAX_DISPATCHES = 5
_SESSION_KEY = 'eoms_outbox_new'
_KEEP_KEY = 'eoms_outbox_keep'


@dataclass
class Row:
    """A row as written by `add`: what dispatchers read (they also accept `Outbox` objects)."""
    key: str
    kind: str
    instance_id: int = None
    task_id: str = None
    task_name: str = None
    payload: dict = field(default_factory=dict)
    status: str = 'pending'
    attempts: int = 0

    @classmethod
    def of(cls, outbox):
        return cls(outbox.key, outbox.kind, outbox.instance_id, outbox.task_id, outbox.task_name,
                   outbox.payload or {}, outbox.status, outbox.attempts)


INSERT = fastsql.insert_sql('outbox', ('key', 'kind', 'instance_id', 'task_id', 'task_name', 'payload', 'status',
                                       'attempts', 'created_at', 'dispatched_at'))


def register(kind, dispatch):
    """dispatch(row) hands the row on (enqueue, route); raising leaves it pending for a retry."""
    _dispatchers[kind] = dispatch


def add(kind, key, instance_id=None, task_id=None, task_name=None, payload=None):
    row = Row(key, kind, instance_id, task_id, task_name, payload or {})
    keep = db.session.info.get(_KEEP_KEY)
    kept = keep is not None and keep.wants(row)
    now = utcnow()
    if kept:
        row.status, row.attempts = 'dispatched', 1
    fastsql.later(INSERT, [{'key': key, 'kind': kind, 'instance_id': instance_id, 'task_id': task_id,
                          'task_name': task_name, 'payload': row.payload, 'status': row.status,
                          'attempts': row.attempts, 'created_at': now, 'dispatched_at': now if kept else None}])
    (keep.pending if kept else db.session.info.setdefault(_SESSION_KEY, [])).append(row)


class _Keep:
    """Rows kept in the open transaction (`pending`) and, once it committed, for the caller
    (`rows`). Closed at that commit: what runs after it (messages routed to other instances, with
    their own commands and rollbacks) neither adds to nor drops what was kept."""

    def __init__(self, kind, instance_id, limit):
        self.kind, self.instance_id, self.limit = kind, instance_id, limit
        self.pending, self.rows = [], []
        self.closed = False

    def wants(self, row):
        return (not self.closed and row.kind == self.kind and row.instance_id == self.instance_id
                and len(self.pending) < self.limit)

    def committed(self):
        if not self.closed:
            self.rows.extend(self.pending)
            self.pending.clear()
            self.closed = True


@contextmanager
def keeping(kind, instance_id, limit=1):
    """Within the block, up to `limit` new rows of `kind` for `instance_id` go to the caller instead
    of their dispatcher: written dispatched (attempt 1) in the command's transaction and, once it
    committed, found in the yielded list. The caller must run them or queue them."""
    keep = db.session.info[_KEEP_KEY] = _Keep(kind, instance_id, limit)
    try:
        yield keep.rows
    finally:
        db.session.info.pop(_KEEP_KEY, None)


def forget_new():
    db.session.info.pop(_SESSION_KEY, None)
    keep = db.session.info.get(_KEEP_KEY)
    if keep is not None:
        keep.pending.clear()  # rolled back with the rest


def dispatch_new():
    """After a commit: hand on the rows that commit wrote."""
    keep = db.session.info.get(_KEEP_KEY)
    if keep is not None:
        keep.committed()
    for row in db.session.info.pop(_SESSION_KEY, []):
        dispatch(row)


def dispatch(row):
    dispatcher = _dispatchers.get(row.kind)
    if dispatcher is None:
        return False
    try:
        dispatcher(row)
    except Exception as error:  # Redis down, a routing failure: stays pending, re-sent later
        db.session.rollback()
        log.warning('outbox %s stays pending: %s', row.key, error)
        db.session.execute(update(Outbox).where(Outbox.key == row.key, Outbox.status == 'pending')
                           .values(last_error=str(error)[:2000]))
        db.session.commit()
        return False
    return True


def mark(key, status, error=None, only_from=None):
    """Set a row's status; `only_from` guards a transition (e.g. pending -> dispatched). Returns
    how many rows changed (0 or 1)."""
    return fastsql.run(*_marking(key, status, error, only_from))


def settle(key, status, error=None):
    """`mark` done or failed, written with the rest of the command that reports the outcome."""
    fastsql.later(*_marking(key, status, error))


def _marking(key, status, error=None, only_from=None):
    params = {'key': key, 'status': status}
    sets = ['status = :status']
    if status == 'dispatched':
        sets += ['dispatched_at = :now', 'attempts = attempts + 1']
    if status in ('done', 'failed'):
        sets.append('finished_at = :now')
    if status in ('dispatched', 'done', 'failed'):
        params['now'] = utcnow()
    if error is not None:
        sets.append('last_error = :error')
        params['error'] = str(error)[:2000]
    where = 'key = :key'
    if only_from:
        params.update((f'from{i}', s) for i, s in enumerate(only_from))
        where += ' AND status IN (' + ', '.join(f':from{i}' for i in range(len(only_from))) + ')'
    return f'UPDATE outbox SET {", ".join(sets)} WHERE {where}', [params]


def redispatch_stale(pending_after=timedelta(seconds=10), dispatched_after=timedelta(minutes=10), limit=200):
    """Re-send rows left pending (Redis was down) or dispatched long ago without an outcome (a
    worker died mid-job). Outcomes are idempotent, so a second run does no harm."""
    now = utcnow()
    for row in (Outbox.query.filter(Outbox.status == 'dispatched', Outbox.attempts >= MAX_DISPATCHES,
                                    Outbox.dispatched_at < now - dispatched_after).limit(limit).all()):
        _give_up(row)
    rows = (Outbox.query.filter(or_((Outbox.status == 'pending') & (Outbox.created_at < now - pending_after),
                                    (Outbox.status == 'dispatched') & (Outbox.attempts < MAX_DISPATCHES)
                                    & (Outbox.dispatched_at < now - dispatched_after)))
            .order_by(Outbox.id).limit(limit).all())
    sent = 0
    for row in rows:
        sent += bool(dispatch(row))
    return sent


def _give_up(row):
    message = (f'no outcome after {row.attempts} dispatches: the job keeps dying or running past its time limit'
               + (f' (last error: {row.last_error})' if row.last_error else ''))
    if row.kind == 'service' and row.instance_id:
        from .commands import finish_service_task  # commands imports this module
        finish_service_task(row.instance_id, row.task_id, row.key, error=message, error_code='no_outcome',
                            attempts=row.attempts)
    mark(row.key, 'failed', error=message, only_from=('dispatched',))
    db.session.commit()


def counts():
    rows = db.session.query(Outbox.kind, Outbox.status, db.func.count()).group_by(Outbox.kind, Outbox.status)
    return [{'kind': k, 'status': s, 'count': n} for k, s, n in rows]
