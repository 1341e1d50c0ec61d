"""What the modeler does with a working copy: validate it with the engine (plus the modeler's own
checks), save it as a draft, publish it as a new immutable version, and take uploads from other
modelers."""
import re
import time

from lxml import etree

from engine import deployments, xml_safety
from engine.bundle import kind_of, refuse_unsafe_xml
from engine.errors import Conflict, Invalid
from . import access, checks, drafts
from .workspace import as_bytes, as_text, latest_or_none, published_files

UPLOAD_MODES = ('run', 'view')


def validate(key, files, primary_process_id=None):
    """{'ok', 'problems', 'executable', 'process_ids', 'ms'}: every problem the engine and the
    modeler's checks find in the bundle ({name: text or bytes}). Stores nothing."""
    started = time.perf_counter()
    content = as_bytes(files)
    problems, bundle = [], None
    try:
        refuse_unsafe_xml(content)
        from .catalog import operators
        problems = checks.check_bundle(content, {op['name']: op for op in operators()})
        bundle = deployments.validate(key, content, primary_process_id)
    except Invalid as e:
        details = e.details if isinstance(e.details, list) else []
        known = {(p['file'], p.get('element_id'), p['message']) for p in problems}
        problems += [p for p in details if (p.get('file'), p.get('element_id'), p.get('message')) not in known]
        if not details:
            problems.append({'file': None, 'element_id': None, 'line': None, 'message': e.message})
    return {'ok': not problems, 'problems': problems,
            'executable': bool(bundle and bundle.executable) if not problems else None,
            'process_ids': bundle.process_ids if bundle and not problems else [],
            'ms': round((time.perf_counter() - started) * 1000, 1)}


def refuse(result):
    first = result['problems'][0]
    where = ' '.join(x for x in (first.get('file'), f'({first["element_id"]})' if first.get('element_id') else None) if x)
    raise Invalid(f'Nothing was published: {len(result["problems"])} problem(s); first: '
                  f'{where + ": " if where else ""}{first["message"]}', code='invalid_model',
                  details=result['problems'])


def save_draft(user, copy, files, scope, note=None):
    latest = copy.latest or latest_or_none(copy.key)
    access.check_change(user, files, published_files(latest))
    owner = drafts.SHARED if scope == 'shared' else user.username
    return drafts.save(copy.key, owner, files, copy.base_version, user.username, note)


def publish(user, copy, files, message):
    """(version, created): the files validated and deployed as a new version; the draft they came
    from is dropped. Invalid listing every problem when anything is wrong: nothing is published."""
    latest = copy.latest or latest_or_none(copy.key)
    access.check_change(user, files, published_files(latest))
    message = (message or '').strip()
    if not message:
        raise Invalid('Say in a few words what this version changes.', code='message_required',
                      details=[{'field': 'message', 'message': 'required'}])
    files = rebased(copy, files)
    files = with_called_models(files)
    result = validate(copy.key, files)
    if not result['ok']:
        refuse(result)
    version, created = deployments.deploy(copy.key, as_bytes(files), actor=user.username, message=message[:2000])
    if copy.draft is not None:
        drafts.discard(copy.key, copy.draft.owner)
    return version, created


def rebased(copy, files):
    """A draft's files on top of versions published since the draft began: files the draft did not
    change take their newest published content; Conflict when a file changed on both sides."""
    draft, latest = copy.draft, copy.latest
    if draft is None or latest is None or draft.base_version is None or draft.base_version >= latest.version:
        return files
    base = published_files(deployments.get_version(copy.key, draft.base_version))
    newest = published_files(latest)
    merged, both = dict(files), []
    for name in sorted(set(base) | set(newest) | set(files)):
        ours, theirs = files.get(name) != base.get(name), newest.get(name) != base.get(name)
        if theirs and not ours:
            if name in newest:
                merged[name] = newest[name]
            else:
                merged.pop(name, None)
        elif theirs and ours and files.get(name) != newest.get(name):
            both.append(name)
    if both:
        raise Conflict(f'Version {latest.version} was published after this draft began (from version '
                       f'{draft.base_version}) and changed the same file(s): {", ".join(both)}. Open version '
                       f'{latest.version}, redo your change there and publish again.', code='draft_outdated',
                       details={'files': both})
    return merged


def descriptive(content):
    """The diagram with every process marked isExecutable="false": kept for viewing only."""
    tree = xml_safety.parse(content)
    for process in tree.iter('{%s}process' % checks.BPMN):
        process.set('isExecutable', 'false')
    return etree.tostring(tree, xml_declaration=True, encoding='UTF-8')


def _runs_anything(content):
    """Whether any uploaded diagram has a process not marked isExecutable="false"."""
    for name, data in content.items():
        if kind_of(name) == 'bpmn':
            try:
                if checks.executable_processes(xml_safety.parse(data)):
                    return True
            except etree.XMLSyntaxError:
                return True
    return False


def key_from(name):
    stem = re.sub(r'\.(bpmn20\.xml|bpmn|dmn|json)$', '', name or '', flags=re.I)
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', stem).strip('_.-')[:100] or 'model'


def upload(user, key, uploads, mode, message):
    """Publish uploaded files (.bpmn from Camunda Modeler, bpmn.io or EOMS, .dmn, .json) as a new
    version of `key`, over the files of its latest version. mode 'run': executable processes must
    pass every check (other engines' expressions are refused naming each element); 'view': every
    process is marked not executable and the diagram is kept for viewing. A descriptive bundle the
    engine still cannot take is kept as a shared draft so it can be viewed.
    Returns {'version', 'created', 'executable', 'draft'}."""
    if mode not in UPLOAD_MODES:
        raise Invalid('Choose whether the upload should run or is for viewing only.', code='invalid_mode')
    if not uploads:
        raise Invalid('Choose at least one file to upload.', code='no_files')
    deployments.check_key(key)
    latest = latest_or_none(key)
    published = published_files(latest)
    content = {}
    for name, data in uploads.items():
        if kind_of(name) is None:
            raise Invalid(f'"{name}" is not a .bpmn, .dmn or .json file.', code='unsupported_file',
                          details=[{'file': name, 'element_id': None, 'message': 'unsupported file type'}])
        content[name] = data
    refuse_unsafe_xml(content)
    if mode == 'view':
        for name in content:
            if kind_of(name) == 'bpmn':
                try:
                    content[name] = descriptive(content[name])
                except etree.XMLSyntaxError as e:
                    raise Invalid(f'{name} is not well-formed XML: {e.msg}', code='invalid_model',
                                  details=[{'file': name, 'element_id': None, 'line': e.lineno,
                                            'message': f'Malformed XML: {e.msg}'}])
    files = {**(published or {}), **{name: as_text(data) for name, data in content.items()}}
    access.check_change(user, files, published)
    message = (message or '').strip() or f'Uploaded {", ".join(sorted(uploads))}'
    result = validate(key, files)
    if result['ok']:
        version, created = deployments.deploy(key, as_bytes(files), actor=user.username, message=message[:2000])
        return {'version': version, 'created': created, 'executable': version.executable, 'draft': None}
    if mode == 'view' or not _runs_anything(content):
        draft = drafts.save(key, drafts.SHARED, files, latest.version if latest else None, user.username,
                            note='; '.join(p['message'] for p in result['problems'])[:2000])
        return {'version': None, 'created': False, 'executable': False, 'draft': draft,
                'problems': result['problems']}
    refuse(result)


def called_processes(files):
    """Ids of processes the bundle's call activities name."""
    found = set()
    for name, text in files.items():
        if kind_of(name) == 'bpmn':
            found.update(re.findall(r'calledElement="([^"]+)"', text if isinstance(text, str) else text.decode('utf-8', 'replace')))
    return found


def defined_processes(files):
    found = set()
    for name, text in files.items():
        if kind_of(name) == 'bpmn':
            text = text if isinstance(text, str) else text.decode('utf-8', 'replace')
            found.update(re.findall(r'<(?:\w+:)?process\b[^>]*\bid="([^"]+)"', text))
    return found


def with_called_models(files):
    """The files plus, for each call activity whose process no file of the bundle defines, the files
    of the latest deployed version that runs that process (diagram, decision tables, forms), so a
    process chosen from the deployed ones can be called. Files already in the bundle are kept."""
    from .catalog import deployed_processes
    files = dict(files)
    missing = called_processes(files) - defined_processes(files)
    if not missing:
        return files
    providers = {}
    for row in deployed_processes():
        providers.setdefault(row['process_id'], row['model'])
    for pid in sorted(missing):
        model = providers.get(pid)
        if model is None:
            continue
        for name, text in (published_files(deployments.latest(model)) or {}).items():
            files.setdefault(name, text)
    return files
