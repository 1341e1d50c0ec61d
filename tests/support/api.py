"""Drives the REST API in-process through Flask's test client, as an integrator would."""
import io
import os

from accounts.service import create_user, issue_token
from engine import deployments
from engine.db import db
from engine.specs import spec_cache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wipe_tables():
    """Empty every table (children first) and forget caches keyed by row ids."""
    from engine import forms
    db.session.remove()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    spec_cache._items.clear()
    deployments.forget_facts()
    forms._load.cache_clear()
    forms._validator.cache_clear()


def read_files(*paths):
    return {os.path.basename(p): open(p, 'rb').read() for p in paths}


def folder_files(folder, names=None):
    names = names or sorted(n for n in os.listdir(folder) if not n.startswith('.') and not n.endswith('.md'))
    return {n: open(os.path.join(folder, n), 'rb').read() for n in names}


def shipped_bundle(bpmn_name='order_lifecycle.bpmn'):
    from web.cli.models import bundle_for
    return bundle_for(os.path.join(ROOT, 'bpmn', bpmn_name), os.path.join(ROOT, 'bpmn'))


class Response:
    def __init__(self, raw):
        self.status = raw.status_code
        self.json = raw.get_json(silent=True)
        self.text = raw.get_data(as_text=True)

    def __repr__(self):
        return f'<{self.status} {self.text[:500]}>'


class ApiClient:
    def __init__(self, app, token=None, username=None):
        self.app = app
        self.client = app.test_client()
        self.token = token
        self.username = username

    def with_new_user(self, username, groups=(), password='password-123'):
        with self.app.app_context():
            create_user(username, password, groups)
            token = issue_token(username)
        return ApiClient(self.app, token, username)

    def as_user(self, username, groups=()):
        return self.with_new_user(username, groups)

    def _headers(self, token=True):
        return {'Authorization': f'Bearer {self.token}'} if token and self.token else {}

    def get(self, path, token=True):
        return Response(self.client.get('/api/v1' + path, headers=self._headers(token)))

    def post(self, path, body=None, token=True):
        return Response(self.client.post('/api/v1' + path, json=body if body is not None else {},
                                         headers=self._headers(token)))

    def deploy(self, key, files, primary_process_id=None, token=True):
        data = {'key': key, 'files': [(io.BytesIO(content), name) for name, content in files.items()]}
        if primary_process_id:
            data['primary_process_id'] = primary_process_id
        return Response(self.client.post('/api/v1/process-models', data=data, headers=self._headers(token),
                                         content_type='multipart/form-data'))

    def start(self, model, data=None, **extra):
        return self.post('/process-instances', {'model': model, 'data': data or {}, **extra})

    def instance(self, instance_id):
        return self.get(f'/process-instances/{instance_id}').json

    def complete(self, task_id, data=None):
        return self.post(f'/tasks/{task_id}/complete', {'data': data or {}})

    def ready(self, instance_id):
        return self.instance(instance_id)['ready_tasks']

    def ready_task(self, instance_id, title):
        tasks = [t for t in self.ready(instance_id) if t['title'] == title]
        assert tasks, f'no ready task "{title}"; ready: {[t["title"] for t in self.ready(instance_id)]}'
        return tasks[0]
