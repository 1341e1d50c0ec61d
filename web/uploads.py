"""Files people send with the pages: forms that carry files may be larger than other requests,
each file is read and checked (orders.attachments), and a refused one is explained in the
user's language."""
from io import BytesIO

from babel.numbers import format_decimal
from flask import request, send_file
from flask_babel import get_locale, gettext as _

from engine.errors import EngineError
from orders import attachments
from orders.attachments import Upload


def allow_files(bp, *endpoints):
    """Let these endpoints' requests be as large as a form of files may be. Set before any
    before_request reads the body (the CSRF check does), so it runs as a URL value preprocessor."""
    names = {f'{bp.name}.{e}' for e in endpoints}

    @bp.url_value_preprocessor
    def _raise_limit(endpoint, values):
        if endpoint in names:
            request.max_content_length = attachments.request_limit()


def chosen(files, name):
    """The files sent in a file input: a browser sends an empty part when none was chosen."""
    return [f for f in files.getlist(name) if f.filename or f.content_length]


def read(storages):
    """([Upload], [message]) for the files of one input: the good ones, and why the others were refused."""
    good, problems = [], []
    for storage in storages:
        upload = Upload.read(storage)
        try:
            attachments.check(upload)
        except EngineError as error:
            problems.append(problem(error, upload))
        else:
            good.append(upload)
    return good, problems


def problem(error, upload):
    if error.code == 'attachment_without_name':
        return _('A file was sent without a name; choose it again.')
    if error.code == 'attachment_empty':
        return _('"%(name)s" is empty (0 bytes): choose the file again or check that it was saved.',
                 name=upload.filename)
    if error.code == 'attachment_too_large':
        return _('"%(name)s" is larger than %(limit)s: compress or split it.', name=upload.filename,
                 limit=file_size(attachments.max_bytes()))
    return error.message


def file_size(size):
    """1 536 000 -> '1.5 MB' in the user's language."""
    if size is None:
        return '—'
    locale = str(get_locale() or 'en')
    if size < 1024:
        return _('%(n)s bytes', n=format_decimal(size, locale=locale))
    for unit in ('KB', 'MB', 'GB'):
        size /= 1024
        if size < 1024 or unit == 'GB':
            return f'{format_decimal(round(size, 1), locale=locale)} {unit}'
    return str(size)


def download(attachment):
    """The stored bytes as a download: never shown inline or sniffed into another type, and the
    name sent as RFC 5987 `filename*` so Chinese names arrive intact."""
    response = send_file(BytesIO(attachments.content_of(attachment)), mimetype=attachment.content_type,
                         as_attachment=True, download_name=attachment.filename, etag=attachment.sha256,
                         last_modified=attachment.uploaded_at, max_age=0, conditional=True)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    response.headers['Content-Security-Policy'] = "default-src 'none'; sandbox"
    response.headers['Cache-Control'] = 'private, no-cache'
    return response


def register(app):
    app.jinja_env.filters.update(file_size=file_size)
    app.jinja_env.globals.update(attachment_max_bytes=attachments.max_bytes)
