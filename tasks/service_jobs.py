"""Service tasks on RQ: the outbox dispatcher that enqueues a request, and the job that runs the
operator and reports the outcome through the engine's command path."""
import logging
from datetime import timedelta

from flask import current_app
from redis import Redis
from rq import Queue

from engine import commands, outbox
from engine.db import db
from engine.models import Outbox
from engine.projection import jsonable
from .operators import REGISTRY, OperatorError, check_params

log = logging.getLogger(__name__)
_connections = {}


def queue():
    url = current_app.config['REDIS_URL']
    if url not in _connections:
        _connections[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return Queue(current_app.config['RQ_QUEUE'], connection=_connections[url])


def _timeout(row):
    op = REGISTRY.get(row.payload.get('operator'))
    return (op.timeout_seconds if op else 60) + 30


def enqueue_service(row):
    """Outbox dispatcher for service requests; raises (row stays pending) when Redis is down."""
    queue().enqueue(run_service, row.key, job_id=f'{row.key}_{row.attempts + 1}', job_timeout=_timeout(row),
                    result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600)
    outbox.mark(row.key, 'dispatched', only_from=('pending', 'dispatched'))
    db.session.commit()


def _max_attempts(row, op):
    retries = row.payload.get('retries')
    return 1 + (op.retries if retries is None else int(retries))


def _backoff(row, op, attempt):
    base = row.payload.get('retry_backoff_base')
    first = op.backoff_seconds if base is None else float(base)
    return first * (2 ** (attempt - 1))


def run_service(key, attempt=1):
    """The RQ job. Runs the operator; retries with exponential backoff; reports the result or the
    final error to the engine, which ignores a report for a task that no longer waits on `key`."""
    row = Outbox.query.filter_by(key=key).first()
    if row is None or row.status in ('done', 'failed'):
        return 'skipped'
    op = REGISTRY.get(row.payload.get('operator'))
    try:
        if op is None:
            raise OperatorError(f'no operator named "{row.payload.get("operator")}" on this worker',
                                code='unknown_operator', retry=False)
        result = op.function(**check_params(op, row.payload.get('params') or {}))
        db.session.rollback()
        commands.finish_service_task(row.instance_id, row.task_id, key, result=jsonable(result), attempts=attempt)
        return 'completed'
    except Exception as error:  # an operator failure of any kind is reported, never lost
        db.session.rollback()
        retry = getattr(error, 'retry', True)
        code = getattr(error, 'code', None) or type(error).__name__
        text = str(error) if isinstance(error, OperatorError) else f'{type(error).__name__}: {error}'
        if op is not None and retry and attempt < _max_attempts(row, op):
            delay = _backoff(row, op, attempt)
            log.info('service %s attempt %s failed (%s); retrying in %.1fs', key, attempt, text, delay)
            outbox.mark(key, 'dispatched', error=f'attempt {attempt}: {text}')
            db.session.commit()
            queue().enqueue_in(timedelta(seconds=delay), run_service, key, attempt + 1,
                               job_id=f'{key}_retry{attempt + 1}', job_timeout=_timeout(row))
            return 'retrying'
        commands.finish_service_task(row.instance_id, row.task_id, key, error=text, error_code=code,
                                     attempts=attempt)
        return 'failed'
