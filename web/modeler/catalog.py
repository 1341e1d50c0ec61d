"""What the models pages list: every model with its latest version, who published it and when,
instance counts per version; the operators and deployed processes the properties panel offers."""
from sqlalchemy import case, func, select

from engine.db import db
from engine.models import ModelVersion, ProcessInstance, ProcessModel

ENDED = ('completed', 'terminated')


def instance_counts(key=None):
    """{(model key, version): {'running': n, 'total': n}}."""
    running = func.sum(case((ProcessInstance.status.in_(ENDED), 0), else_=1))
    query = select(ProcessInstance.model_key, ProcessInstance.version, running, func.count()).group_by(
        ProcessInstance.model_key, ProcessInstance.version)
    if key:
        query = query.where(ProcessInstance.model_key == key)
    return {(k, v): {'running': int(r or 0), 'total': int(t)} for k, v, r, t in db.session.execute(query)}


def models():
    """[{'key', 'latest' (ModelVersion), 'versions': [(version, counts)], 'running', 'total'}]."""
    latest = db.session.execute(
        select(ModelVersion).join(ProcessModel, (ProcessModel.key == ModelVersion.model_key)
                                  & (ProcessModel.latest_version == ModelVersion.version))
        .order_by(ModelVersion.model_key)).scalars().all()
    counts = instance_counts()
    out = []
    for version in latest:
        per_version = sorted(((v, c) for (k, v), c in counts.items() if k == version.model_key), reverse=True)
        out.append({'key': version.model_key, 'latest': version, 'versions': per_version,
                    'running': sum(c['running'] for _, c in per_version),
                    'total': sum(c['total'] for _, c in per_version)})
    return out


def history(key):
    """Every version of `key`, newest first, with its instance counts."""
    counts = instance_counts(key)
    rows = db.session.execute(select(ModelVersion).where(ModelVersion.model_key == key)
                              .order_by(ModelVersion.version.desc())).scalars().all()
    return [(v, counts.get((key, v.version), {'running': 0, 'total': 0})) for v in rows]


def deployed_processes():
    """[{'model', 'version', 'process_id'}] of the latest version of every model: what a call
    activity may call (a called process must also be in the calling bundle to deploy)."""
    rows = db.session.execute(
        select(ModelVersion.model_key, ModelVersion.version, ModelVersion.process_ids)
        .join(ProcessModel, (ProcessModel.key == ModelVersion.model_key)
              & (ProcessModel.latest_version == ModelVersion.version))
        .order_by(ModelVersion.model_key)).all()
    return [{'model': k, 'version': v, 'process_id': pid} for k, v, pids in rows for pid in (pids or [])]


def operators():
    from tasks.operators import REGISTRY
    return [op.describe() for op in sorted(REGISTRY.values(), key=lambda o: o.name)]
