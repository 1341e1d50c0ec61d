"""Inbox arguments from the query string (and back), so filters survive every refresh."""
from urllib.parse import parse_qsl, urlencode, urlsplit

from werkzeug.datastructures import MultiDict

from engine.inbox import InboxQuery

ARGS = ('tab', 'process', 'order', 'lane', 'sort', 'dir', 'page')


def query_from(args, is_admin):
    try:
        page = int(args.get('page') or 1)
    except ValueError:
        page = 1
    return InboxQuery(tab=args.get('tab') or 'groups', process=args.get('process'), order=args.get('order'),
                      lane=args.get('lane'), sort=args.get('sort') or 'due',
                      descending=args.get('dir') == 'desc', page=page).clean(is_admin)


def query_from_url(url, is_admin):
    return query_from(MultiDict(parse_qsl(urlsplit(url or '').query)), is_admin)


def args_of(q, **changes):
    """Query-string arguments for q with changes applied; defaults are left out."""
    values = {'tab': q.tab, 'process': q.process, 'order': q.order, 'lane': q.lane, 'sort': q.sort,
              'dir': 'desc' if q.descending else None, 'page': q.page}
    values.update(changes)
    if values.get('page') == 1:
        values['page'] = None
    if values.get('sort') == 'due':
        values['sort'] = None
    return {k: v for k, v in values.items() if v not in (None, '', False)}


def url_of(base, q, **changes):
    args = args_of(q, **changes)
    return base + ('?' + urlencode(args) if args else '')
