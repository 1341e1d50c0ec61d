"""Deploying a bundle as a new immutable version of a model key, and reading versions back."""
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from .bundle import parse_bundle
from .db import db
from .errors import Conflict, Invalid, NotFound
from .models import ModelFile, ModelVersion, ProcessModel
from .specs import dump_specs

KEY = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$')


def content_hash(files, primary_process_id):
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b'\0' + hashlib.sha256(files[name]).digest())
    h.update(b'primary\0' + (primary_process_id or '').encode())
    return h.hexdigest()


def check_key(key):
    if not KEY.match(key or ''):
        raise Invalid(f'Model key {key!r} is not allowed: use 1-100 letters, digits, "_", "." or "-", '
                      'starting with a letter or digit.', code='invalid_key',
                      details=[{'field': 'key', 'message': 'not a valid slug'}])


def validate(key, files, primary_process_id=None):
    """The parsed bundle, as deploy would see it; raises Invalid listing every problem. Stores nothing."""
    check_key(key)
    if not files:
        raise Invalid('Upload at least one file in the "files" field.', code='invalid_bundle',
                      details=[{'file': None, 'element_id': None, 'message': 'no files'}])
    return parse_bundle(files, primary_process_id)


def deploy(key, files, primary_process_id=None, actor=None, message=None):
    """(version, created). Identical content returns the existing version with created False.
    Nothing is stored unless the whole bundle is valid."""
    check_key(key)
    if not files:
        raise Invalid('Upload at least one file in the "files" field.', code='invalid_bundle',
                      details=[{'file': None, 'element_id': None, 'message': 'no files'}])
    digest = content_hash(files, primary_process_id)
    existing = ModelVersion.query.filter_by(model_key=key, content_hash=digest).first()
    if existing:
        return existing, False
    bundle = parse_bundle(files, primary_process_id)
    specs = dump_specs(bundle.processes, bundle.collaborations, bundle.dependencies)
    try:
        model = db.session.get(ProcessModel, key, with_for_update=True)
        if model is None:
            model = ProcessModel(key=key, latest_version=0)
            db.session.add(model)
            db.session.flush()
        model.latest_version += 1
        version = ModelVersion(model_key=key, version=model.latest_version, content_hash=digest,
                               created_by=actor, message=message, executable=bundle.executable,
                               process_ids=bundle.process_ids, collaborations=bundle.collaboration_ids,
                               primary_process_id=bundle.primary_process_id, specs=specs,
                               start_messages=bundle.start_messages)
        version.files = [ModelFile(name=name, content=content) for name, content in sorted(files.items())]
        db.session.add(version)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = ModelVersion.query.filter_by(model_key=key, content_hash=digest).first()
        if existing:
            return existing, False
        raise Conflict(f'Another version of "{key}" was deployed at the same moment; deploy again.',
                       code='version_clash')
    return version, True


def list_models():
    return ProcessModel.query.order_by(ProcessModel.key).all()


def latest(key):
    found = (ModelVersion.query.join(ProcessModel, (ProcessModel.key == ModelVersion.model_key)
                                     & (ProcessModel.latest_version == ModelVersion.version))
             .filter(ModelVersion.model_key == key).first())
    if found is None:
        raise NotFound(f'No process model with key "{key}".', code='model_not_found')
    return found


@dataclass(frozen=True)
class VersionFacts:
    """What starting an instance needs to know of a version, which never changes once deployed."""
    id: int
    model_key: str
    version: int
    executable: bool
    primary_process_id: str
    process_ids: tuple
    collaborations: tuple


_facts = {}
FACTS_KEPT = 256


def facts(key, version=None):
    """VersionFacts of a version (the latest when None). A named version is read from the database
    once per process: a bulk start of thousands of instances pays for one lookup."""
    if version is not None and (key, version) in _facts:
        return _facts[(key, version)]
    mv = get_version(key, version)
    found = VersionFacts(mv.id, mv.model_key, mv.version, mv.executable, mv.primary_process_id,
                         tuple(mv.process_ids), tuple(mv.collaborations))
    if len(_facts) >= FACTS_KEPT:
        _facts.clear()
    _facts[(key, mv.version)] = found
    return found


def forget_facts():
    """After the tables were emptied (tests): version numbers may name other rows now."""
    _facts.clear()


def get_version(key, version=None):
    if version is None:
        return latest(key)
    found = ModelVersion.query.filter_by(model_key=key, version=version).first()
    if found is None:
        latest(key)  # a clear 404 for an unknown key first
        raise NotFound(f'Process model "{key}" has no version {version}.', code='version_not_found')
    return found


def versions(key):
    latest(key)
    return ModelVersion.query.filter_by(model_key=key).order_by(ModelVersion.version.desc()).all()


def file_content(version, name):
    for f in version.files:
        if f.name == name:
            return f.content
    return None
