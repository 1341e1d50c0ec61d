"""The import page: upload a CSV or XLSX sheet, see every row's problems before anything is
written (the preview), confirm, follow the worker's progress, read and download the report.
The rows are checked and imported by orders.imports, as for the API."""
import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from engine.errors import Conflict, Invalid
from orders import import_jobs, settings, sheets
from . import access, bp

SHOWN_PROBLEMS = 200
SHOWN_ORDERS = 200
ACTIVE = ('queued', 'running')


def _may_import():
    if not access.may_create(current_user):
        abort(403)


def _import_or_404(import_id):
    imp = import_jobs.get(import_id)
    if imp is None:
        abort(404)
    if imp.created_by != current_user.username and not current_user.is_admin:
        abort(403)
    return imp


def _upload_page(error=None, status=200):
    mine = None if current_user.is_admin else current_user.username
    return render_template('orders/import.html', error=error, imports=import_jobs.recent(mine),
                           max_mb=settings.get('ORDER_IMPORT_MAX_BYTES') // (1024 * 1024)), status


@bp.get('/orders/import')
def import_page():
    _may_import()
    return _upload_page()


@bp.post('/orders/import')
def upload_import():
    _may_import()
    limit = settings.get('ORDER_IMPORT_MAX_BYTES')
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        return _too_large(limit)
    upload = request.files.get('file')
    if upload is None or not upload.filename:
        return _upload_page(_('Choose a .csv or .xlsx file to upload.'), 422)
    content = upload.read(limit + 1)
    if len(content) > limit:
        return _too_large(limit)
    if not upload.filename.lower().endswith(tuple('.' + f for f in sheets.FORMATS)):
        return _upload_page(_('"%(name)s" is not a .csv or .xlsx file: save the sheet as one of those and upload it '
                              'again.', name=upload.filename), 422)
    try:
        imp = import_jobs.upload(content, upload.filename, current_user.actor())
    except Invalid as error:
        return _upload_page(_('The file could not be read: %(problem)s', problem=error.message), 422)
    return redirect(url_for('orders_ui.import_detail', import_id=imp.id))


def _too_large(limit):
    return _upload_page(_('The file is larger than %(mb)s MB: split it into several files.',
                          mb=limit // (1024 * 1024)), 413)


def _moved_already(import_id):
    flash(_('This import was confirmed or discarded already.'), 'error')
    return _detail(import_jobs.get(import_id), 409)


def _detail(imp, status=200):
    template = 'orders/_import_status.html' if request.headers.get('HX-Request') else 'orders/import_detail.html'
    imported, failed = import_jobs.progress(imp)
    return render_template(template, imp=imp, active=imp.status in ACTIVE, imported=imported, failed=failed,
                           problems=(imp.problems or [])[:SHOWN_PROBLEMS], orders=(imp.orders or [])[:SHOWN_ORDERS],
                           shown_problems=SHOWN_PROBLEMS, shown_orders=SHOWN_ORDERS), status


@bp.get('/orders/imports/<int:import_id>')
def import_detail(import_id):
    return _detail(_import_or_404(import_id))


@bp.post('/orders/imports/<int:import_id>/confirm')
def confirm_import(import_id):
    imp = _import_or_404(import_id)
    try:
        import_jobs.confirm(imp)
    except Invalid:
        flash(_('This file has no valid row to import: correct the rows listed and upload it again.'), 'error')
        return _detail(imp, 422)
    except Conflict:
        return _moved_already(import_id)
    flash(ngettext('The import was started: %(num)s order is being created.',
                   'The import was started: %(num)s orders are being created.', imp.valid), 'success')
    return redirect(url_for('orders_ui.import_detail', import_id=import_id))


@bp.post('/orders/imports/<int:import_id>/discard')
def discard_import(import_id):
    imp = _import_or_404(import_id)
    try:
        import_jobs.discard(imp)
    except Conflict:
        return _moved_already(import_id)
    flash(_('The upload was discarded; nothing was imported.'), 'success')
    return redirect(url_for('orders_ui.import_page'))


@bp.get('/orders/imports/<int:import_id>/report.csv')
def import_report(import_id):
    """Every problem, and every order made, by row: for correcting the sheet in a spreadsheet."""
    imp = _import_or_404(import_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(['row', 'column', 'problem', 'order'])
    lines = [(p['row'] or 0, p.get('column') or '', p['problem'], '') for p in imp.problems or []]
    lines += [(o['row'], '', '', o['number']) for o in imp.orders or []]
    writer.writerows(sorted(lines, key=lambda line: line[0]))
    return Response('\ufeff' + out.getvalue(), headers={  # the BOM makes Excel read it as UTF-8
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': f'attachment; filename="import-{imp.id}-report.csv"'})


@bp.get('/orders/import-template.<fmt>')
def import_template(fmt):
    if fmt not in sheets.FORMATS:
        abort(404)
    return Response(sheets.template(fmt), headers={
        'Content-Type': sheets.MIME[fmt], 'Content-Disposition': f'attachment; filename="order-import-template.{fmt}"'})
