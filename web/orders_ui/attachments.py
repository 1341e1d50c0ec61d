"""Files on the order page: the Attachments section (listed for whoever may see the order, an
upload form for those who work on it) and the download of any stored file, an order's or an
instance's, for whoever may see what it belongs to."""
from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user

from engine.db import db
from engine.inbox import may_view_instance
from engine.models import ProcessInstance
from orders import attachments, queries
from orders.models import Order, OrderAttachment
from .. import uploads
from ..auth.users import display_names
from . import access, bp, order_page
from .routes import order as order_view_page

SOURCE_NAMES = {'intake': _l('Intake form'), 'task': _l('Task form'), 'change': _l('Change request'),
                'api': _l('API'), 'web': _l('Order page')}

uploads.allow_files(bp, 'upload_attachment', 'create_order')


@bp.context_processor
def _attachment_section():
    return {'attachment_section': section}


def section(view, inst=None):
    """What the order page's Attachments section shows for the signed-in user."""
    files = attachments.for_order(view['id'])
    return {'files': files, 'names': display_names({a.uploaded_by for a in files}),
            'may_upload': access.may_attach(current_user, view, inst), 'source_names': SOURCE_NAMES,
            'errors': g.get('attachment_errors') or [], 'max_bytes': attachments.max_bytes()}


@bp.post('/orders/<path:number>/attachments')
def upload_attachment(number):
    view = queries.order_view(number)
    if view is None:
        abort(404)
    inst = order_page.instance_of(view)
    if not access.may_view(current_user, view, inst) or not access.may_attach(current_user, view, inst):
        abort(403)
    storages = uploads.chosen(request.files, 'files')
    good, problems = uploads.read(storages)
    if not storages:
        problems = [_('Choose one or more files to attach.')]
    if problems:  # nothing is stored unless every file is good
        g.attachment_errors = problems
        response = make_response(order_view_page(number))
        response.status_code = 422
        return response
    for upload in good:
        attachments.add(upload, order_id=view['id'], source='web', uploaded_by=current_user.username)
    db.session.commit()
    flash(ngettext('%(num)s file was attached.', '%(num)s files were attached.', len(good)), 'success')
    return redirect(url_for('orders_ui.order', number=number, _anchor='attachments'))


@bp.get('/attachments/<int:attachment_id>')
def attachment(attachment_id):
    found = db.session.get(OrderAttachment, attachment_id)
    if found is None:
        abort(404)
    if not _may_download(found):
        abort(403)
    return uploads.download(found)


def _may_download(found):
    if found.source == attachments.DRAFT:
        return found.uploaded_by == current_user.username
    if found.order_id is not None:
        order = db.session.get(Order, found.order_id)
        view = {'owner': order.owner, 'created_by': order.created_by}
        return access.may_view(current_user, view, order.instance)
    inst = db.session.get(ProcessInstance, found.instance_id)
    return inst is not None and may_view_instance(current_user.actor(), inst)
