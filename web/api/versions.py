"""Version history: diffs, file downloads, and moving running instances to a newer version."""
from flask import Response, g

from engine import deployments, queries, versions
from engine.errors import NotFound
from . import bp
from .docs import doc, json_body, query_args
from .instances import instance_response, require_admin
from .schemas import BulkMigration, DiffQuery, Instance, MigrateInstance, MigrationOutcome, VersionDiff


@bp.get('/process-models/<key>/diff')
@doc('Elements added, removed and changed between two versions', query=DiffQuery, response=VersionDiff,
     errors=(404,))
def version_diff(key):
    args = query_args(DiffQuery)
    return VersionDiff().dump(versions.diff(key, args['from_version'], args['to_version']))


@bp.get('/process-models/<key>/versions/<int:version>/files/<name>')
@doc('Download one file of a version', errors=(404,))
def version_file(key, version, name):
    content = deployments.file_content(deployments.get_version(key, version), name)
    if content is None:
        raise NotFound(f'Version {version} of "{key}" has no file "{name}".', code='file_not_found')
    kind = 'application/json' if name.endswith('.json') else 'application/xml'
    return Response(content, mimetype=kind, headers={'Content-Disposition': f'attachment; filename="{name}"'})


@bp.post('/process-instances/<int:instance_id>/migrate')
@doc('Preview (dry_run) or move an instance to a newer version (admin)', body=MigrateInstance,
     response=Instance, errors=(403, 404, 409, 422))
def migrate_instance(instance_id):
    body = json_body(MigrateInstance)
    require_admin()
    inst = queries.get_instance(instance_id)
    if body['dry_run']:
        return MigrationOutcome().dump(versions.preview(inst, body['version']))
    return instance_response(versions.migrate(instance_id, body['version'], g.actor))


@bp.post('/process-models/<key>/migrations')
@doc('Preview or move every running instance of one version to another (admin)', body=BulkMigration,
     response=MigrationOutcome, many=True, errors=(403, 404, 422))
def bulk_migrate(key):
    body = json_body(BulkMigration)
    require_admin()
    results = versions.bulk(key, body['from_version'], body['to_version'], g.actor, body['dry_run'],
                            body.get('status'))
    return MigrationOutcome(many=True).dump(results)
