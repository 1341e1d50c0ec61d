"""Connects the engine to the workers: registers the outbox dispatcher for service tasks and
tells the engine which operators exist. Called by the app factory (web and worker alike)."""
from engine import outbox, service_tasks
from .operators import load_all
from .service_jobs import enqueue_service


def init_app(app):
    operators = load_all()
    service_tasks.register_operators(operators)
    outbox.register('service', enqueue_service)
