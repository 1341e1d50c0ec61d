"""`flask --app wsgi ...` commands."""
from . import demo, dev, models, users, worker


def register(app):
    for module in (users, models, demo, worker, dev):
        module.register(app)
