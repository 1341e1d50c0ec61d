"""Sensitive customer fields (tax and bank numbers) encrypted at rest with Fernet.

ORDER_DATA_KEY holds one or more keys, comma-separated, newest first: the first encrypts, all
decrypt, so a key can be rotated by putting the new one in front."""
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from engine.db import db
from . import settings


@lru_cache(maxsize=4)
def _fernet(keys):
    return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(',') if k.strip()])


def fernet():
    return _fernet(settings.get('ORDER_DATA_KEY'))


def encrypt(text):
    return None if text is None else fernet().encrypt(text.encode('utf-8')).decode('ascii')


def decrypt(token):
    if token is None:
        return None
    try:
        return fernet().decrypt(token.encode('ascii')).decode('utf-8')
    except InvalidToken:
        raise ValueError('A stored customer field cannot be decrypted with ORDER_DATA_KEY '
                         '(was the key changed without keeping the old one?).') from None


def mask(text, keep=4):
    """'91310000MA1234567X' -> '**************567X'."""
    if not text:
        return text
    return '*' * max(len(text) - keep, 0) + text[-keep:]


class Encrypted(db.TypeDecorator):
    """A string stored as a Fernet token (ASCII text) and handed out in clear."""
    impl = db.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return encrypt(value)

    def process_result_value(self, value, dialect):
        return decrypt(value)
