"""Entry point for `flask --app wsgi ...` and `gunicorn wsgi:app`."""
from web import create_app

app = create_app()
