"""Order settings: the running app's config when there is one (tests override it), else config.py."""
from flask import current_app, has_app_context

from config import Config


def get(name):
    if has_app_context() and name in current_app.config:
        return current_app.config[name]
    return getattr(Config, name)
