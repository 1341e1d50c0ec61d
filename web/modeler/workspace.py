"""A model's working copy: the files an editor opens and saves. It is the person's own draft, else
the shared draft, else the latest published version (or a blank diagram for a new model)."""
from dataclasses import dataclass, field

from lxml import etree

from engine import deployments, xml_safety
from engine.bundle import kind_of
from engine.errors import EngineError, Invalid, NotFound
from . import drafts
from .blank import blank_bpmn, blank_dmn, blank_form

SOURCES = ('mine', 'shared', 'version')


@dataclass
class WorkingCopy:
    key: str
    files: dict                      # {name: text}
    source: str                      # 'mine', 'shared', 'version' or 'new'
    latest: object = None            # latest ModelVersion, None for a new model
    draft: object = None
    drafts: list = field(default_factory=list)

    @property
    def base_version(self):
        return self.draft.base_version if self.draft else (self.latest.version if self.latest else None)

    def names(self, kind=None):
        return [n for n in sorted(self.files) if kind is None or kind_of(n) == kind]


def as_text(content):
    """File bytes as text for the editors; XML that is not UTF-8 is re-encoded."""
    if isinstance(content, str):
        return content
    try:
        return content.decode('utf-8-sig')
    except UnicodeDecodeError:
        if xml_safety.unsafe_declaration(content):
            raise Invalid('The file declares a DOCTYPE or entity, which is refused.', code='unsafe_xml')
        try:
            return etree.tostring(xml_safety.parse(content), encoding='unicode')
        except etree.XMLSyntaxError as e:
            raise Invalid(f'The file is neither UTF-8 text nor well-formed XML: {e.msg}', code='unreadable_file')


def as_bytes(files):
    return {name: text.encode('utf-8') if isinstance(text, str) else text for name, text in files.items()}


def latest_or_none(key):
    try:
        return deployments.latest(key)
    except NotFound:
        return None


def published_files(version):
    return {f.name: as_text(f.content) for f in version.files} if version is not None else None


def open_copy(key, username, source=None):
    """The working copy `username` edits; `source` forces one of SOURCES when it exists."""
    deployments.check_key(key)
    latest = latest_or_none(key)
    mine, shared = drafts.get(key, username), drafts.get(key, drafts.SHARED)
    found = [d for d in (mine, shared) if d is not None]
    chosen = {'mine': mine, 'shared': shared}.get(source) if source in ('mine', 'shared') else None
    if source != 'version' and chosen is None:
        chosen = mine or shared
    if chosen is not None:
        return WorkingCopy(key, dict(chosen.files), 'mine' if chosen.owner else 'shared', latest, chosen, found)
    if latest is None:
        if not found:
            raise NotFound(f'No process model with key "{key}".', code='model_not_found')
    return WorkingCopy(key, published_files(latest) or {}, 'version', latest, None, found)


def new_model_files(key, name):
    return {f'{key}.bpmn': blank_bpmn(key, name)}


def new_file(kind, name, key):
    """(file name, text) of a blank file of `kind` ('bpmn', 'dmn', 'form')."""
    base = (name or '').strip()
    ext = {'bpmn': '.bpmn', 'dmn': '.dmn', 'form': '.json'}.get(kind)
    if not ext or not base:
        raise Invalid('Give the new file a name and a kind.', code='invalid_file')
    filename = base if base.lower().endswith(ext) else base + ext
    if kind_of(filename) != kind or '/' in filename or filename.startswith('.'):
        raise Invalid(f'"{filename}" is not a valid {kind} file name.', code='invalid_file')
    stem = filename.rsplit('.', 1)[0]
    text = {'bpmn': lambda: blank_bpmn(stem, stem), 'dmn': lambda: blank_dmn(stem),
            'form': lambda: blank_form(stem)}[kind]()
    return filename, text


def merged(copy, changes):
    """The working copy's files with the editor's changes ({name: text}) applied."""
    files = dict(copy.files)
    for name, text in (changes or {}).items():
        if not isinstance(name, str) or not isinstance(text, str):
            raise EngineError('Send the files as {"name": "text"}.', code='bad_files', status=400)
        files[name] = text
    return files
