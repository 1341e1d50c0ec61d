from flask import g, request

from engine import deployments
from engine.errors import EngineError, NotFound
from web.auth.users import PageUser
from web.modeler import access
from . import bp
from .docs import doc, load
from .schemas import Deployed, DeployForm, ModelSummary, VersionSummary


def deployed_view(version):
    return {'key': version.model_key, 'version': version.version, 'process_ids': version.process_ids,
            'collaborations': version.collaborations, 'primary_process_id': version.primary_process_id,
            'executable': version.executable}


def _uploaded_bundle():
    if not request.mimetype.startswith('multipart/'):
        raise EngineError('Send the bundle as multipart/form-data with a "key" field and one or more "files".',
                          code='multipart_required', status=400)
    form = load(DeployForm, {'key': request.form.get('key'), 'files': ['-'] * len(request.files.getlist('files')),
                             **{k: request.form[k] for k in ('primary_process_id', 'message') if request.form.get(k)}})
    files = {}
    for upload in request.files.getlist('files'):
        name = (upload.filename or '').strip()
        if name in files:
            raise EngineError(f'The file "{name}" is in the upload twice.', code='duplicate_file', status=422)
        files[name] = upload.read()
    return form, files


@bp.post('/process-models/validate')
@doc('Check a bundle as a deploy would, storing nothing: 200 with what it holds, or 422 listing each '
     'problem', multipart=DeployForm, response=Deployed, errors=(400, 413, 422))
def validate_model():
    form, files = _uploaded_bundle()
    bundle = deployments.validate(form['key'], files, form.get('primary_process_id'))
    return Deployed().dump({'key': form['key'], 'version': None, 'process_ids': bundle.process_ids,
                            'collaborations': bundle.collaboration_ids,
                            'primary_process_id': bundle.primary_process_id, 'executable': bundle.executable})


def _check_may_publish(key, files):
    """The same rule as the modeler's: process owners (and admins) publish anything, analysts
    decision tables and forms only, nobody else publishes."""
    try:
        published = {f.name: f.content.decode('utf-8', 'replace') for f in deployments.latest(key).files}
    except NotFound:
        published = None
    access.check_change(PageUser(g.user), {n: c.decode('utf-8', 'replace') for n, c in files.items()}, published)


@bp.post('/process-models')
@doc('Deploy a bundle as a new immutable version (process owners; analysts for DMN and forms only)',
     multipart=DeployForm, response=Deployed, status=201, errors=(400, 401, 403, 413, 422))
def deploy_model():
    """Identical content deploys nothing new and answers 200 with the existing version."""
    form, files = _uploaded_bundle()
    _check_may_publish(form['key'], files)
    version, created = deployments.deploy(form['key'], files, form.get('primary_process_id'),
                                          actor=g.actor.username, message=form.get('message'))
    return Deployed().dump(deployed_view(version)), 201 if created else 200


@bp.get('/process-models')
@doc('List process models with their latest version', response=ModelSummary, many=True)
def list_models():
    out = []
    for model in deployments.list_models():
        latest = deployments.latest(model.key)
        out.append({'key': model.key, 'latest_version': model.latest_version, 'process_ids': latest.process_ids})
    return ModelSummary(many=True).dump(out)


@bp.get('/process-models/<key>/versions')
@doc('List the versions of a process model, newest first', response=VersionSummary, many=True, errors=(404,))
def list_versions(key):
    rows = deployments.versions(key)
    return VersionSummary(many=True).dump([
        {'version': v.version, 'created_at': v.created_at, 'created_by': v.created_by, 'message': v.message,
         'executable': v.executable, 'files': [f.name for f in v.files]} for v in rows])
