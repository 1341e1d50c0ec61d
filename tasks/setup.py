"""Connects the engine to the workers: registers the outbox dispatchers for service tasks and
order imports and tells the engine which operators exist. Called by the app factory (web and
worker alike)."""
from engine import outbox, service_tasks
from .import_jobs import enqueue_import, enqueue_import_part
from .operators import load_all
from .service_jobs import enqueue_service


def init_app(app):
    operators = load_all()
    service_tasks.register_operators(operators)
    outbox.register('service', enqueue_service)
    outbox.register('import', enqueue_import)
    outbox.register('import_part', enqueue_import_part)
