"""Order imports confirmed in the import page, run by workers: the outbox dispatchers that queue
an import (split into parts) and its parts (imported side by side), and their jobs;
orders.import_jobs does the work."""
from engine import outbox
from engine.db import db
from engine.models import Outbox
from orders import import_jobs
from .service_jobs import queue

# RQ stops a job at its time limit; an import of the largest file allowed takes well under this.
IMPORT_SECONDS = 3 * 3600


def _enqueue(job, row):
    queue().enqueue(job, row.key, job_id=f'{row.key}_{row.attempts + 1}', job_timeout=IMPORT_SECONDS,
                    result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600)
    outbox.mark(row.key, 'dispatched', only_from=('pending', 'dispatched'))
    db.session.commit()


def enqueue_import(row):
    """Outbox dispatcher for imports; raises (row stays pending) when Redis is down."""
    _enqueue(run_import, row)


def enqueue_import_part(row):
    _enqueue(run_import_part, row)


def _run(key, work):
    found = Outbox.query.filter_by(key=key).first()
    db.session.rollback()
    if found is None or found.status in ('done', 'failed'):
        return 'skipped'
    outcome = work(found.payload)
    if outcome != 'skipped':  # skipped: another worker has it, and settles the row when it is done
        outbox.mark(key, 'failed' if outcome == 'failed' else 'done')
        db.session.commit()
    return outcome


def run_import(key):
    return _run(key, lambda payload: import_jobs.work(payload['import_id']))


def run_import_part(key):
    return _run(key, lambda payload: import_jobs.work_part(payload['import_id'], payload['part']))
