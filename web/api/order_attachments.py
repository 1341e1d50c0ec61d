"""Files kept with an order: list, upload, download. The same people as on the order page: who may
see the order lists and downloads its files; who works on it uploads."""
from flask import g, request
from marshmallow import Schema, fields
from werkzeug.exceptions import RequestEntityTooLarge

from engine.errors import EngineError, Forbidden, Invalid, NotFound
from orders import attachments, queries
from orders.attachments import AttachmentTooLarge, Upload
from .. import uploads
from ..auth.users import PageUser
from ..orders_ui import access, order_page
from . import bp
from .docs import doc


class AttachmentView(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String(metadata={'description': 'what the bytes are (sniffed), sent with the download'})
    size = fields.Integer(metadata={'description': 'bytes'})
    sha256 = fields.String()
    source = fields.String(metadata={'enum': list(attachments.SOURCES)})
    task_id = fields.String(allow_none=True, metadata={'description': 'the task whose form carried the file'})
    task_name = fields.String(allow_none=True)
    field = fields.String(allow_none=True, metadata={'description': 'the form field it was uploaded in'})
    uploaded_by = fields.String()
    uploaded_at = fields.DateTime()


class AttachmentForm(Schema):
    file = fields.Raw(required=True, metadata={'type': 'string', 'format': 'binary',
                                               'description': 'the file, with its name'})


def _order(number, upload=False):
    """The order's view, if the caller may see it (and, for an upload, add files to it)."""
    view = queries.order_view(number)
    if view is None:
        raise NotFound(f'No order {number}.', code='order_not_found')
    user, inst = PageUser(g.user), order_page.instance_of(view)
    if not access.may_view(user, view, inst):
        raise Forbidden(f'You may not see order {number}: it is not yours and your groups do not see every '
                        'order.', code='order_forbidden')
    if upload and not access.may_attach(user, view, inst):
        raise Forbidden(f'You may not add files to order {number}: ask its owner or the staff who run it.',
                        code='attachment_forbidden')
    return view


@bp.get('/orders/<path:number>/attachments')
@doc('The files kept with an order, oldest first', response=AttachmentView, many=True, errors=(403, 404))
def list_attachments(number):
    view = _order(number)
    return AttachmentView(many=True).dump([attachments.view(a) for a in attachments.for_order(view['id'])])


def _upload():
    limit = attachments.max_bytes()
    request.max_content_length = limit + 1024 * 1024  # the file and the multipart framing around it
    if not request.mimetype.startswith('multipart/'):
        raise EngineError('Send the file as multipart/form-data in a field named "file".',
                          code='multipart_required', status=400)
    try:
        storage = request.files.get('file')
    except RequestEntityTooLarge:
        raise AttachmentTooLarge(f'The file is larger than the limit of {attachments.human_size(limit)} per file: '
                                 'compress or split it (the limit is the EOMS_ATTACHMENT_MAX_BYTES setting).',
                                 details=[{'path': 'file', 'message': f'over {limit} bytes', 'limit': limit}]) from None
    if storage is None:
        raise Invalid('No file: send it in a multipart field named "file".', code='invalid_request',
                      details=[{'path': 'file', 'message': 'missing'}])
    return Upload.read(storage, limit)


@bp.post('/orders/<path:number>/attachments')
@doc('Keep a file with an order', multipart=AttachmentForm, response=AttachmentView, status=201,
     errors=(400, 403, 404, 413, 422))
def upload_attachment(number):
    """413 `attachment_too_large` above EOMS_ATTACHMENT_MAX_BYTES (20 MB by default), 422
    `attachment_empty` for an empty file and `attachment_without_name` without a file name;
    nothing is stored then. The content type is taken from the bytes where they say it, else from
    the upload or the name."""
    view = _order(number, upload=True)
    stored = attachments.attach_to_order(view['id'], _upload(), g.actor.username, source='api')
    return AttachmentView().dump(attachments.view(stored)), 201


@bp.get('/orders/<path:number>/attachments/<int:attachment_id>')
@doc('Download a file of an order: its bytes, as an attachment (RFC 5987 file name)', errors=(403, 404))
def download_attachment(number, attachment_id):
    view = _order(number)
    return uploads.download(attachments.of_order(view['id'], attachment_id))
