"""Moving running instances of an older version to a newer one: a preview of which can move and
why the others cannot, then one or all movable ones moved through the engine (which audits it)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import queries, versions
from engine.errors import Conflict, EngineError
from engine.inbox import STATUSES
from . import access, bp, catalog


def _numbers(key):
    history = catalog.history(key)
    numbers = [v.version for v, _c in history]
    newest = numbers[0] if numbers else None
    return history, numbers, newest


@bp.get('/<key>/migrations')
def migrations(key):
    access.require_owner(current_user, 'move running instances')
    history, numbers, newest = _numbers(key)
    to_version = request.args.get('to', type=int) or newest
    older = [n for n in numbers if to_version and n < to_version]
    from_version = request.args.get('from', type=int) or (older[0] if older else None)
    status = request.args.get('status') if request.args.get('status') in STATUSES else None
    plan = []
    if from_version and to_version and from_version < to_version:
        plan = versions.bulk(key, from_version, to_version, current_user.actor(), dry_run=True, status=status)
    return render_template('modeler/migrations.html', key=key, history=history, numbers=numbers, plan=plan,
                           from_version=from_version, to_version=to_version, status=status,
                           statuses=[s for s in STATUSES if s not in ('completed', 'terminated')])


@bp.post('/<key>/migrations')
def migrate(key):
    access.require_owner(current_user, 'move running instances')
    to_version = request.form.get('to', type=int)
    from_version = request.form.get('from', type=int)
    status = request.form.get('status') or None
    back = url_for('modeler.migrations', key=key, **{'from': from_version, 'to': to_version,
                                                     **({'status': status} if status else {})})
    actor = current_user.actor()
    instance_id = request.form.get('instance_id', type=int)
    if instance_id:
        inst = queries.get_instance(instance_id)
        if inst.model_key != key:
            flash(_('Instance %(id)s does not belong to this model.', id=instance_id), 'error')
            return redirect(back)
        try:
            versions.migrate(instance_id, to_version, actor)
            flash(_('Instance %(id)s now runs version %(version)s.', id=instance_id, version=to_version), 'success')
        except Conflict as e:
            reasons = (e.details or {}).get('reasons') if isinstance(e.details, dict) else None
            flash(_('Instance %(id)s was not moved: %(reason)s', id=instance_id,
                    reason='; '.join(reasons) if reasons else e.message), 'error')
        except EngineError as e:
            flash(_('Instance %(id)s was not moved: %(reason)s', id=instance_id, reason=e.message), 'error')
        return redirect(back)
    results = versions.bulk(key, from_version, to_version, actor, dry_run=False, status=status)
    moved = [r['instance_id'] for r in results if r.get('moved')]
    stayed = [r['instance_id'] for r in results if not r.get('moved')]
    flash(_('Moved %(moved)s instance(s) to version %(version)s; %(stayed)s stayed where they are.',
            moved=len(moved), version=to_version, stayed=len(stayed)), 'success' if moved else 'warning')
    return redirect(back)
