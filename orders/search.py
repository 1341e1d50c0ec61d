"""Full-text search over an order's number, title, customer name and line item descriptions.

Both databases index the same token text, which this module makes: lower-cased runs of letters
and digits without accents, with every CJK character a token of its own, so that part of a Chinese name ("水务"
in "苏州水务集团") is found as a phrase. Each word of a query must match as a prefix
("wat" finds "Water Works"; "EO-2026-00" finds EO-2026-0001 ...).

- SQLite: the FTS5 table `order_fts` (rowid = order id), written by the service layer in the
  order's transaction.
- PostgreSQL: the tsvector column `eng_order.search_vector` ('simple' configuration) with a GIN
  index, set when the order is written.
"""
import re
import unicodedata

from sqlalchemy import func, select, text

from .models import Order

_WORD = re.compile(r'[^\W_]+')
_CJK = re.compile(r'([\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff'
                  r'\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f])')
CONFIG = 'simple'


def _fold(value):
    """Lower case without accents ("Müller" -> "muller"), the same on both databases."""
    decomposed = unicodedata.normalize('NFKD', (value or '').lower())
    return ''.join(c for c in decomposed if not unicodedata.combining(c))


def tokens(value):
    out = []
    for word in _WORD.findall(_fold(value)):
        out += [part for part in _CJK.split(word) if part]
    return out


def index_text(number, title, customer_name, item_descriptions):
    return ' '.join(tokens(' '.join([number or '', title or '', customer_name or '', *item_descriptions])))


def _phrases(query):
    """One phrase (list of tokens) per whitespace-separated word of the query."""
    return [t for t in (tokens(word) for word in (query or '').split()) if t]


def _fts5_expression(phrases):
    return ' AND '.join('"' + ' '.join(p) + '"*' for p in phrases)


def _tsquery_expression(phrases):
    return ' & '.join('(' + ' <-> '.join(p[:-1] + [p[-1] + ':*']) + ')' for p in phrases)


def is_postgres(session):
    """session: a Session or a Connection."""
    bind = session if hasattr(session, 'dialect') else session.get_bind()
    return bind.dialect.name == 'postgresql'


def vector(session, text_value):
    """The value for eng_order.search_vector: a tsvector on PostgreSQL, NULL on SQLite."""
    return func.to_tsvector(CONFIG, text_value) if is_postgres(session) else None


def write_fts(session, order_id, text_value):
    """SQLite: (re)write the order's FTS5 row, in the caller's transaction (session or connection)."""
    if is_postgres(session):
        return
    session.execute(text('INSERT OR REPLACE INTO order_fts (rowid, body) VALUES (:id, :body)'),
                    {'id': order_id, 'body': text_value})


def reindex(session, order_id, text_value):
    """After an order's number, title, customer or items changed."""
    if is_postgres(session):
        session.execute(Order.__table__.update().where(Order.__table__.c.id == order_id)
                        .values(search_vector=func.to_tsvector(CONFIG, text_value)))
    else:
        write_fts(session, order_id, text_value)


def condition(session, query):
    """A WHERE clause on eng_order for the orders matching the query, or None for an empty one."""
    phrases = _phrases(query)
    if not phrases:
        return None
    if is_postgres(session):
        return Order.search_vector.op('@@')(func.to_tsquery(CONFIG, _tsquery_expression(phrases)))
    matches = select(text('rowid')).select_from(text('order_fts')).where(
        text('order_fts MATCH :fts_query').bindparams(fts_query=_fts5_expression(phrases)))
    return Order.id.in_(matches)
