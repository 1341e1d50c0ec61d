"""Files kept with an order, or with the instance of a process that has no order: checked,
stored in the database (so an upload belongs to the transaction that records it), listed and
fetched.

A file saved with a task form's draft is stored with source `draft`: it belongs to its author's
draft only, is listed nowhere, and becomes a `task` file when the form is submitted (or is
deleted with the draft)."""
import hashlib
import mimetypes
import os
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from engine import forms
from engine.db import db
from engine.errors import EngineError, Invalid, NotFound
from engine.models import utcnow
from . import settings
from .models import Order, OrderAttachment

SOURCES = ('intake', 'task', 'change', 'api', 'web')
DRAFT = 'draft'
FILENAME_LIMIT = 255
CONTENT_TYPE_LIMIT = 100
GENERIC = 'application/octet-stream'
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_MIME = re.compile(r'^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$')
# Leading bytes of the formats engineering documents come in; anything else keeps the type the
# upload declared or the one its name suggests.
_SIGNATURES = (
    (b'%PDF-', 'application/pdf'),
    (b'\x89PNG\r\n\x1a\n', 'image/png'),
    (b'\xff\xd8\xff', 'image/jpeg'),
    (b'GIF87a', 'image/gif'),
    (b'GIF89a', 'image/gif'),
    (b'II*\x00', 'image/tiff'),
    (b'MM\x00*', 'image/tiff'),
    (b'AC10', 'image/vnd.dwg'),
    (b'%!PS', 'application/postscript'),
    (b'7z\xbc\xaf\x27\x1c', 'application/x-7z-compressed'),
    (b'Rar!\x1a\x07', 'application/vnd.rar'),
)
# Containers whose real type only the file name tells (Office documents are ZIP or OLE files).
_CONTAINERS = ((b'PK\x03\x04', 'application/zip'), (b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1', 'application/x-ole-storage'))


class AttachmentTooLarge(EngineError):
    status, code = 413, 'attachment_too_large'


@dataclass(frozen=True)
class Upload:
    """A file as received: its name (cleaned), the bytes and the type the sender declared."""
    filename: str
    content: bytes
    declared_type: str = None

    @classmethod
    def read(cls, storage, limit=None):
        """From an uploaded file (anything with `filename`, `mimetype` and `read(n)`), reading at most
        one byte past the limit so an over-size file is recognised without holding all of it."""
        limit = max_bytes() if limit is None else limit
        content = storage.read(limit + 1)
        return cls(clean_filename(storage.filename), content, getattr(storage, 'mimetype', None))

    @property
    def size(self):
        return len(self.content)


def max_bytes():
    return int(settings.get('ATTACHMENT_MAX_BYTES'))


def request_limit():
    """The most one form or request carrying files may send: ten files at the limit, plus its fields."""
    return 10 * max_bytes() + 1024 * 1024


def human_size(size):
    for unit in ('bytes', 'KB', 'MB', 'GB'):
        if size < 1024 or unit == 'GB':
            return f'{size} {unit}' if unit == 'bytes' else f'{size:.1f} {unit}'.replace('.0 ', ' ')
        size /= 1024
    return str(size)


def clean_filename(name):
    """The file's own name: no folders (browsers on Windows may send C:\\fakepath\\...), no control
    characters, at most 255 characters with its extension kept; '' when nothing is left."""
    name = unicodedata.normalize('NFC', str(name or ''))
    name = _CONTROL.sub('', name.replace('\\', '/').rsplit('/', 1)[-1]).strip().strip('.').strip()
    if len(name) > FILENAME_LIMIT:
        stem, ext = os.path.splitext(name)
        ext = ext[:20]
        name = stem[:FILENAME_LIMIT - len(ext)] + ext
    return name


def check(upload):
    """Refuse a file with no name, an empty file, or one over the size limit (413)."""
    if not upload.filename:
        raise Invalid('The file has no name: send it with a file name (multipart "filename").',
                      code='attachment_without_name', details=[{'path': 'file', 'message': 'no file name'}])
    if upload.size == 0:
        raise Invalid(f'"{upload.filename}" is empty (0 bytes): choose the file again or check that it was saved.',
                      code='attachment_empty', details=[{'path': 'file', 'message': 'empty file'}])
    limit = max_bytes()
    if upload.size > limit:
        raise AttachmentTooLarge(
            f'"{upload.filename}" is larger than the limit of {human_size(limit)} per file: compress or split it '
            f'(the limit is the EOMS_ATTACHMENT_MAX_BYTES setting).',
            details=[{'path': 'file', 'message': f'over {limit} bytes', 'limit': limit}])


def content_type(upload):
    """What the bytes are: a known signature first, then the declared type, then the name's."""
    head = upload.content[:16]
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    guessed = mimetypes.guess_type(upload.filename)[0]
    for magic, kind in _CONTAINERS:
        if head.startswith(magic):
            return guessed or kind
    declared = (upload.declared_type or '').split(';')[0].strip().lower()
    if _MIME.match(declared) and declared != GENERIC and len(declared) <= CONTENT_TYPE_LIMIT:
        return declared
    return guessed or GENERIC


def _row(upload, *, order_id, instance_id, source, uploaded_by, task_id=None, task_name=None, field=None):
    check(upload)
    return {'order_id': order_id, 'instance_id': instance_id, 'filename': upload.filename,
            'content_type': content_type(upload), 'size': upload.size,
            'sha256': hashlib.sha256(upload.content).hexdigest(), 'content': upload.content, 'source': source,
            'task_id': task_id, 'task_name': (task_name or '')[:200] or None, 'field': (field or '')[:100] or None,
            'uploaded_by': uploaded_by, 'uploaded_at': utcnow()}


def add(upload, *, order_id=None, instance_id=None, source, uploaded_by, task_id=None, task_name=None, field=None):
    """Store the file in the current transaction (no commit); returns the new row."""
    if order_id is None and instance_id is None:
        raise ValueError('an attachment belongs to an order or an instance')
    attachment = OrderAttachment(**_row(upload, order_id=order_id, instance_id=instance_id, source=source,
                                        uploaded_by=uploaded_by, task_id=task_id, task_name=task_name,
                                        field=field))
    db.session.add(attachment)
    db.session.flush()
    return attachment


def attach_to_order(order_id, upload, uploaded_by, source='web'):
    """Store one file with the order and commit."""
    try:
        attachment = add(upload, order_id=order_id, source=source, uploaded_by=uploaded_by)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return attachment


def insert_for_order(connection, order_id, uploads, uploaded_by, source='intake'):
    """Write checked files for an order being created, on the connection of its transaction."""
    if uploads:
        connection.execute(insert(OrderAttachment.__table__), [
            _row(u, order_id=order_id, instance_id=None, source=source, uploaded_by=uploaded_by) for u in uploads])


def owner_of(instance_id):
    """(order id or None, instance id) of a file from this instance's tasks: it belongs to the
    instance's order when there is one (and remembers its instance), else to the instance."""
    order_id = db.session.execute(select(Order.id).where(Order.instance_id == instance_id)).scalar()
    return order_id, instance_id


# -- reading ----------------------------------------------------------------------------------

def _listed():
    return select(OrderAttachment).where(OrderAttachment.source != DRAFT).order_by(
        OrderAttachment.uploaded_at, OrderAttachment.id)


def for_order(order_id):
    return db.session.execute(_listed().where(OrderAttachment.order_id == order_id)).scalars().all()


def of_order(order_id, attachment_id):
    """An order's listed attachment; 404 when it is another order's, a draft's, or unknown."""
    found = db.session.get(OrderAttachment, attachment_id)
    if found is None or found.order_id != order_id or found.source == DRAFT:
        raise NotFound(f'The order has no attachment {attachment_id}.', code='attachment_not_found')
    return found


def content_of(attachment):
    return attachment.content


def reference(attachment):
    """What process data keeps of a file instead of its bytes."""
    return {'attachment_id': attachment.id, 'filename': attachment.filename, 'size': attachment.size,
            'content_type': attachment.content_type}


def view(attachment):
    return {'id': attachment.id, 'filename': attachment.filename, 'content_type': attachment.content_type,
            'size': attachment.size, 'sha256': attachment.sha256, 'source': attachment.source,
            'task_id': attachment.task_id, 'task_name': attachment.task_name, 'field': attachment.field,
            'uploaded_by': attachment.uploaded_by, 'uploaded_at': attachment.uploaded_at}


# -- task forms -------------------------------------------------------------------------------

def usable_in_task(ids, instance_id, task_id, username):
    """{id: attachment} of the given ids a task form may keep: the files already with its process
    (its order's or its instance's) and the author's own draft files of this task."""
    ids = [i for i in ids if isinstance(i, int)]
    if not ids:
        return {}
    order_id, _ = owner_of(instance_id)
    found = {}
    for a in db.session.execute(select(OrderAttachment).where(OrderAttachment.id.in_(ids))).scalars():
        if a.source == DRAFT:
            if a.task_id == str(task_id) and a.uploaded_by == username:
                found[a.id] = a
        elif (order_id is not None and a.order_id == order_id) or a.instance_id == instance_id:
            found[a.id] = a
    return found


def referenced_files(task_id, schema):
    """prepare() for engine.commands.complete_task with data from an API client: every file field
    must hold a reference to a file already kept with the process (uploaded first); references are
    rewritten from the stored files, and the task's draft files go with the completion."""
    def prepare(inst, data):
        given = []
        forms.map_files(schema, data, lambda path, value: given.append((path, value)))
        ids = [v.get('attachment_id') for _path, v in given if isinstance(v, dict)]
        known = usable_in_task(ids, inst.id, task_id, username=None)  # nobody's draft files
        bad = [path for path, v in given if not isinstance(v, dict) or v.get('attachment_id') not in known]
        if bad:
            raise Invalid(f'{", ".join(bad)}: a file field takes a reference to a file of this order or process, '
                          '{"attachment_id": ..., "filename": ...}: upload the file first (POST '
                          '/api/v1/orders/{number}/attachments) and send its id.', code='unknown_attachment',
                          details=[{'path': p, 'message': 'not a file of this order or process'} for p in bad])
        discard_drafts(task_id)
        return forms.map_files(schema, data, lambda path, value: reference(known[value['attachment_id']]))
    return prepare


def submit_drafts(task_id, kept_ids):
    """The task was completed: its kept draft files become task files and every other draft file
    of the task goes (in the completing transaction)."""
    task_id = str(task_id)
    if kept_ids:
        db.session.execute(update(OrderAttachment).where(OrderAttachment.task_id == task_id,
                                                         OrderAttachment.source == DRAFT,
                                                         OrderAttachment.id.in_(list(kept_ids)))
                           .values(source='task', uploaded_at=utcnow()))
    discard_drafts(task_id)


def discard_drafts(task_id, username=None, keep=()):
    """Delete a task's draft files (one author's when username is given), except those in keep."""
    statement = delete(OrderAttachment).where(OrderAttachment.task_id == str(task_id),
                                              OrderAttachment.source == DRAFT)
    if username:
        statement = statement.where(OrderAttachment.uploaded_by == username)
    if keep:
        statement = statement.where(OrderAttachment.id.not_in(list(keep)))
    db.session.execute(statement.execution_options(synchronize_session=False))

