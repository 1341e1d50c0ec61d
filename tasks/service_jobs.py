"""Service tasks on RQ: the outbox dispatcher that enqueues a request, and the job that runs the
operator and reports the outcome through the engine's command path.

A job whose report makes its instance ask for the next service task (a chain of them) keeps that
request and runs it itself, instead of a round through Redis and another job: the outbox row is
written dispatched to it in the report's transaction, so if the worker dies the row is re-sent
like any lost job. Other new requests (parallel branches, other instances) go through the queue."""
import logging
import time
from datetime import timedelta

from flask import current_app
from redis import Redis
from rq import Queue, get_current_job

from engine import commands, outbox
from engine.db import db
from engine.models import Outbox
from engine.projection import jsonable
from .operators import REGISTRY, OperatorError, check_params

log = logging.getLogger(__name__)
_connections = {}
# A job takes on follow-up requests of its instance for this long, then leaves them to the queue
# (so one long chain does not hold a worker while other instances wait).
CONTINUE_SECONDS = 10
# Time allowed, beyond an operator's own limit, for reporting its outcome.
REPORT_SECONDS = 30


def queue():
    url = current_app.config['REDIS_URL']
    if url not in _connections:
        _connections[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return Queue(current_app.config['RQ_QUEUE'], connection=_connections[url])


def _operator_seconds(row):
    op = REGISTRY.get(row.payload.get('operator'))
    return op.timeout_seconds if op else 60


def _timeout(row):
    return _operator_seconds(row) + REPORT_SECONDS + CONTINUE_SECONDS


def _enqueue(row, dispatch_number):
    queue().enqueue(run_service, row.key, job_id=f'{row.key}_{dispatch_number}', job_timeout=_timeout(row),
                    result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600)


def enqueue_service(row):
    """Outbox dispatcher for service requests; raises (row stays pending) when Redis is down."""
    _enqueue(row, row.attempts + 1)
    outbox.mark(row.key, 'dispatched', only_from=('pending', 'dispatched'))
    db.session.commit()


def _max_attempts(row, op):
    retries = row.payload.get('retries')
    return 1 + (op.retries if retries is None else int(retries))


def _backoff(row, op, attempt):
    base = row.payload.get('retry_backoff_base')
    first = op.backoff_seconds if base is None else float(base)
    return first * (2 ** (attempt - 1))


class _Clock:
    """What this job may still take on: RQ stops a job at its time limit, so a kept request runs
    here only if its operator's limit and the report still fit in what is left."""

    def __init__(self, first_row):
        job = get_current_job()
        limit = job.timeout if job is not None and job.timeout and job.timeout > 0 else _timeout(first_row)
        now = time.monotonic()
        self.ends = now + limit
        self.stops_taking = now + CONTINUE_SECONDS

    def taking(self):
        return time.monotonic() < self.stops_taking

    def fits(self, row):
        return time.monotonic() + _operator_seconds(row) + REPORT_SECONDS <= self.ends


def run_service(key, attempt=1):
    """The RQ job. Runs the operator; retries with exponential backoff; reports the result or the
    final error to the engine, which ignores a report for a task that no longer waits on `key`.
    Then runs the request of the same instance that the report kept, if any, and so on."""
    found = Outbox.query.filter_by(key=key).first()
    row = outbox.Row.of(found) if found is not None else None
    db.session.rollback()
    if row is None or row.status in ('done', 'failed'):
        return 'skipped'
    clock = _Clock(row)
    outcome, row = _run(row, attempt, clock)
    while row is not None:
        if not clock.fits(row):
            _hand_on(row)
            break
        outcome, row = _run(row, 1, clock)
    return outcome


def _run(row, attempt, clock):
    """Run one request and report its outcome: (outcome, kept request to run next or None)."""
    db.session.rollback()  # the operator runs outside any transaction (it may wait on the network)
    op = REGISTRY.get(row.payload.get('operator'))
    try:
        if op is None:
            raise OperatorError(f'no operator named "{row.payload.get("operator")}" on this worker',
                                code='unknown_operator', retry=False)
        result = op.function(**check_params(op, row.payload.get('params') or {}))
    except Exception as error:  # an operator failure of any kind is reported, never lost
        db.session.rollback()
        retry = getattr(error, 'retry', True)
        code = getattr(error, 'code', None) or type(error).__name__
        text = str(error) if isinstance(error, OperatorError) else f'{type(error).__name__}: {error}'
        if op is not None and retry and attempt < _max_attempts(row, op):
            delay = _backoff(row, op, attempt)
            log.info('service %s attempt %s failed (%s); retrying in %.1fs', row.key, attempt, text, delay)
            outbox.mark(row.key, 'dispatched', error=f'attempt {attempt}: {text}')
            db.session.commit()
            queue().enqueue_in(timedelta(seconds=delay), run_service, row.key, attempt + 1,
                               job_id=f'{row.key}_retry{attempt + 1}', job_timeout=_timeout(row))
            return 'retrying', None
        return 'failed', _report(row, clock, error=text, error_code=code, attempts=attempt)
    db.session.rollback()
    return 'completed', _report(row, clock, result=jsonable(result), attempts=attempt)


def _report(row, clock, **outcome):
    if not clock.taking():
        commands.finish_service_task(row.instance_id, row.task_id, row.key, **outcome)
        return None
    with outbox.keeping('service', row.instance_id) as kept:
        commands.finish_service_task(row.instance_id, row.task_id, row.key, **outcome)
    return kept[0] if kept else None


def _hand_on(row):
    """A kept request this job has no time left for goes to the queue as its first dispatch; if
    Redis refuses, it goes back to pending for the worker's sweep to send."""
    try:
        _enqueue(row, row.attempts)
    except Exception as error:
        log.warning('service %s could not be queued (%s); left pending', row.key, error)
        outbox.mark(row.key, 'pending', error=error, only_from=('dispatched',))
        db.session.commit()
