"""Model drafts: a working copy of a model's files saved without publishing, either one person's
(owner = their username) or shared by every editor of the model (owner = '')."""
from sqlalchemy import UniqueConstraint, select

from engine.db import db
from engine.models import UTCDateTime, utcnow

SHARED = ''


class ModelDraft(db.Model):
    __tablename__ = 'model_draft'
    __table_args__ = (UniqueConstraint('model_key', 'owner'),)
    id = db.Column(db.Integer, primary_key=True)
    # No foreign key: a new model has drafts before its first version exists.
    model_key = db.Column(db.String(100), nullable=False, index=True)
    owner = db.Column(db.String(100), nullable=False, default=SHARED)
    # The latest published version when the draft was started (None for a new model).
    base_version = db.Column(db.Integer)
    # {file name: text}: every file of the bundle, edited or not.
    files = db.Column(db.JSON, nullable=False, default=dict)
    note = db.Column(db.Text)
    updated_by = db.Column(db.String(100))
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    @property
    def shared(self):
        return self.owner == SHARED


def get(key, owner):
    return db.session.execute(select(ModelDraft).where(ModelDraft.model_key == key,
                                                       ModelDraft.owner == owner)).scalar_one_or_none()


def visible(key, username):
    """The drafts of `key` this person sees: their own and the shared one."""
    return db.session.execute(select(ModelDraft).where(ModelDraft.model_key == key,
                                                       ModelDraft.owner.in_([username, SHARED]))
                              .order_by(ModelDraft.owner.desc())).scalars().all()


def all_visible(username):
    """{model key: [drafts]} of every model, for the models list."""
    found = {}
    for draft in db.session.execute(select(ModelDraft).where(ModelDraft.owner.in_([username, SHARED]))
                                    .order_by(ModelDraft.model_key)).scalars():
        found.setdefault(draft.model_key, []).append(draft)
    return found


def save(key, owner, files, base_version, username, note=None):
    draft = get(key, owner)
    if draft is None:
        draft = ModelDraft(model_key=key, owner=owner)
        db.session.add(draft)
    draft.files = dict(sorted(files.items()))
    draft.base_version, draft.updated_by, draft.updated_at = base_version, username, utcnow()
    draft.note = note
    db.session.commit()
    return draft


def discard(key, owner):
    draft = get(key, owner)
    if draft is not None:
        db.session.delete(draft)
        db.session.commit()
    return draft is not None
