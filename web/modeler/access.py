"""Who may do what with process models, checked on the server for every action:
`process_owner` (and admin) edits and publishes anything; `analyst` edits and publishes decision
tables (.dmn) and forms (.json) only; everyone else views."""
from engine.bundle import kind_of
from engine.errors import Forbidden

OWNERS = ('process_owner',)
ANALYSTS = ('analyst',)


def is_owner(user):
    return user.in_any(*OWNERS)


def may_edit(user):
    return user.in_any(*OWNERS, *ANALYSTS)


def may_migrate(user):
    return is_owner(user)


def require_owner(user, what):
    if not is_owner(user):
        raise Forbidden(f'Only process owners may {what}.', code='not_process_owner')


def require_editor(user):
    if not may_edit(user):
        raise Forbidden('Only process owners and analysts may change process models.', code='not_an_editor')


def diagram_changes(files, published):
    """Names of .bpmn files that differ between `files` and `published` ({name: text}), including
    diagrams added or removed."""
    names = {n for n in files if kind_of(n) == 'bpmn'} | {n for n in published if kind_of(n) == 'bpmn'}
    return sorted(n for n in names if _normalized(files.get(n)) != _normalized(published.get(n)))


def _normalized(text):
    return None if text is None else text.replace('\r\n', '\n').strip()


def check_change(user, files, published):
    """Forbidden unless `user` may save or publish `files` over the latest published files
    (`published` is None for a model without a version)."""
    require_editor(user)
    if is_owner(user):
        return
    if published is None:
        raise Forbidden('Only process owners may create process models.', code='not_process_owner')
    changed = diagram_changes(files, published)
    if changed:
        raise Forbidden('Analysts may change decision tables and forms only; these diagrams differ from the '
                        f'published version: {", ".join(changed)}. Ask a process owner to publish them.',
                        code='diagram_change_not_allowed', details={'files': changed})
