from engine.db import db
from engine.models import UTCDateTime, utcnow


class User(db.Model):
    __tablename__ = 'app_user'
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(100), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    display_name = db.Column(db.String(200))
    groups = db.Column(db.JSON, nullable=False, default=list)
    locale = db.Column(db.String(10))
    # Where mails to this user go (the email.send operator takes usernames as recipients).
    email = db.Column(db.String(200), index=True)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    @property
    def is_admin(self):
        return 'admin' in (self.groups or [])


class ApiToken(db.Model):
    __tablename__ = 'api_token'
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey('app_user.id', ondelete='CASCADE'), nullable=False, index=True)
    # SHA-256 of the token: tokens are long random strings, so a fast hash is enough and lookups stay O(1).
    token_hash = db.Column(db.String(64), unique=True, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at = db.Column(UTCDateTime)
    revoked_at = db.Column(UTCDateTime)
    user = db.relationship('User', lazy='joined')
