"""`flask --app wsgi worker`: an RQ worker with its scheduler, inside the app context.

Runs as many times as you like, on any machine that reaches the shared Redis and database.
By default job functions run in a forked work horse with a fresh app context of their own, so
they can use the database; the horse never reuses a database connection opened before the fork.
With --no-fork they run in the worker process itself, each in a fresh app context.
"""
import click
import redis
from flask import current_app
from rq import Queue, SimpleWorker, Worker

from tasks.redis_server import redis_answers


class _JobsInAppContext:
    """Each job runs inside a fresh Flask app context (its own database session)."""

    def __init__(self, *args, app=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def perform_job(self, job, queue, execution):
        if self.app is None:
            return super().perform_job(job, queue, execution)
        with self.app.app_context():
            return super().perform_job(job, queue, execution)


class AppWorker(_JobsInAppContext, Worker):
    """An RQ `Worker` whose work horses run each job inside a fresh Flask app context."""

    def main_work_horse(self, job, queue):
        # Pooled connections were opened by the parent: drop them here without closing them
        # (closing would end the parent's sessions); the horse opens its own.
        if self.app is not None:
            try:
                with self.app.app_context():
                    ext = self.app.extensions.get('sqlalchemy')
                    for engine in (ext.engines.values() if ext is not None else ()):
                        engine.dispose(close=False)
            except Exception:  # noqa: BLE001 - never let the forked horse escape into the loop
                self.log.exception('Worker %s: could not reset database pools', self.name)
        super().main_work_horse(job, queue)


class AppSimpleWorker(_JobsInAppContext, SimpleWorker):
    """Runs each job in the worker process, without a fork: here a forked horse adds 20-40 ms to a
    no-op job and over 100 ms to a service task's, every horse starting with cold caches (compiled
    statements, database connections, the workflows just saved). The time limit still holds
    (SIGALRM); a job that crashes the interpreter takes the worker with it, and its outbox row is
    sent again once the redispatch delay has passed."""


def register(app):
    @app.cli.command('worker')
    @click.option('--burst', is_flag=True, help='Stop when the queues are empty.')
    @click.option('--queues', default=None, metavar='Q1,Q2',
                  help='Comma-separated queue names (default: the RQ_QUEUE setting).')
    @click.option('--no-fork', 'no_fork', is_flag=True,
                  help='Run jobs in this process instead of a forked work horse each: several times the '
                       'throughput of short jobs; a job that crashes Python stops the worker.')
    def worker_command(burst, queues, no_fork):
        """Run an RQ worker (with its scheduler) on REDIS_URL."""
        flask_app = current_app._get_current_object()
        url = flask_app.config['REDIS_URL']
        if not redis_answers(url, timeout=2.0):
            raise click.ClickException(f'Redis does not answer at {url} (set REDIS_URL)')
        names = [n.strip() for n in (queues or flask_app.config['RQ_QUEUE']).split(',') if n.strip()]
        if not names:
            raise click.BadParameter('no queue names', param_hint='--queues')
        connection = redis.Redis.from_url(url)
        worker_class = AppSimpleWorker if no_fork else AppWorker
        worker = worker_class([Queue(name, connection=connection) for name in names],
                              connection=connection, app=flask_app)
        if not burst:
            from tasks import maintenance
            maintenance.start(flask_app, flask_app.config['TIMER_SWEEP_SECONDS'])
        worker.work(burst=burst, with_scheduler=True, logging_level='INFO')
