"""Test fixtures: a real database (SQLite in a temp folder, or PostgreSQL at DATABASE_URL) built
by the project's Alembic migrations, a private real Redis, and API helpers."""
import os
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
_tmp = tempfile.mkdtemp(prefix='eoms-tests-')
if not os.environ.get('DATABASE_URL'):
    os.environ['DATABASE_URL'] = f'sqlite:///{_tmp}/eoms-test.db'
os.environ.setdefault('SECRET_KEY', 'tests')

from tests.support.api import ApiClient, wipe_tables  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

SHARED_CORPUS = os.path.join(ROOT, '..', 'shared', 'corpus')
DATA = os.path.join(ROOT, 'tests', 'data')


@pytest.fixture(scope='session')
def redis_server():
    with RedisServer() as server:
        yield server


@pytest.fixture(scope='session')
def app(redis_server):
    from flask_migrate import upgrade
    from sqlalchemy import text
    from engine.db import db
    from web import create_app
    app = create_app({'TESTING': True, 'REDIS_URL': redis_server.url, 'MAX_CONTENT_LENGTH': 1024 * 1024,
                      'SCRIPT_TIME_LIMIT': 1.0})
    with app.app_context():
        if db.engine.dialect.name == 'postgresql':
            db.session.execute(text('DROP SCHEMA public CASCADE; CREATE SCHEMA public'))
            db.session.commit()
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def db_session(app):
    from engine.db import db
    with app.app_context():
        wipe_tables()
        yield db.session
        db.session.remove()


@pytest.fixture
def api(app, db_session):
    """An ApiClient acting as an admin user `alice`; `api.as_user(...)` makes others."""
    return ApiClient(app).with_new_user('alice', groups=['admin'])


def corpus_path(*parts):
    path = os.path.join(SHARED_CORPUS, *parts)
    if not os.path.exists(path):
        pytest.skip(f'the shared BPMN corpus is not beside the checkout ({path} is missing)')
    return path
