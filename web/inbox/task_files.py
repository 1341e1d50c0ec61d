"""The files of one task form submission: the ones it keeps (checked against what the process
may use), the new ones it carries (checked for name, emptiness and size), and storing them with
the instance's order, or the instance, in the transaction that completes the task or saves the
draft. Process data gets a reference to each file, never its bytes."""
from flask_babel import gettext as _

from orders import attachments
from .. import uploads
from .schema_form import data_from_values, file_paths

PENDING_ID = 0  # stands for a file not stored yet while the rest of the form is checked


class FormFiles:
    def __init__(self, schema, values, files, inst, row, username):
        self.inst, self.row, self.username = inst, row, username
        self.nodes = dict(file_paths(schema, values))
        self.values = self._resolve(values)
        self.new, self.errors, self.names = {}, {}, {}
        self.submitted = None  # the data the task was completed with, once prepare() ran
        for path, node in self.nodes.items():
            storages = uploads.chosen(files, path)
            if not storages:
                continue
            if node.get('type') == 'string':
                storages = storages[:1]
            self.names[path] = [s.filename for s in storages]
            good, problems = uploads.read(storages)
            if good:
                self.new[path] = good
            if problems:
                self.errors[path] = problems

    def __bool__(self):
        return bool(self.nodes)

    def _resolve(self, values):
        """Kept ids become full references; ids the process may not use are dropped."""
        ids = [ref.get('attachment_id') for path in self.nodes for ref in values.get(path) or []]
        usable = attachments.usable_in_task(ids, self.inst.id, self.row.id, self.username)
        resolved = dict(values)
        for path in self.nodes:
            resolved[path] = [attachments.reference(usable[ref['attachment_id']])
                              for ref in values.get(path) or [] if ref.get('attachment_id') in usable]
        return resolved

    def dropped(self):
        """{path: file names} of new files a re-shown form no longer holds."""
        return dict(self.names)

    def _merged(self, stored):
        """Values with the new files' references: they replace a single file, add to a list."""
        merged = dict(self.values)
        for path, refs in stored.items():
            single = self.nodes[path].get('type') == 'string'
            merged[path] = refs[:1] if single else [*self.values.get(path, []), *refs]
        return merged

    def checked_values(self):
        """The values with a stand-in reference for each new file, to check the form before storing."""
        return self._merged({path: [{'attachment_id': PENDING_ID, 'filename': u.filename, 'size': u.size,
                                     'content_type': attachments.content_type(u)} for u in found]
                             for path, found in self.new.items()})

    def _store(self, source):
        order_id, instance_id = attachments.owner_of(self.inst.id)
        stored = {}
        for path, found in self.new.items():
            stored[path] = [attachments.reference(attachments.add(
                u, order_id=order_id, instance_id=instance_id, source=source, uploaded_by=self.username,
                task_id=str(self.row.id), task_name=self.row.title or self.row.name, field=path)) for u in found]
        return self._merged(stored)

    def kept_ids(self, values):
        return {ref['attachment_id'] for path in self.nodes for ref in values.get(path) or []}

    def save_draft(self):
        """Store the new files as the author's draft files, drop the draft files no longer in the
        form, and return the values the draft keeps (the caller commits with the draft)."""
        values = self._store(attachments.DRAFT)
        attachments.discard_drafts(self.row.id, self.username, keep=self.kept_ids(values))
        return values

    def completion(self, schema, extra):
        """prepare() for engine.commands.complete_task: store the new files, keep the draft files
        the form kept and drop every other draft file of the task, in the completing transaction.
        extra: values outside the schema's fields (the approval decision)."""
        def prepare(inst, _data):
            values = self._store('task')
            attachments.submit_drafts(self.row.id, self.kept_ids(values))
            self.submitted = {**data_from_values(schema, values), **extra}
            return self.submitted
        return prepare


def notes(dropped):
    """{path: message} telling people which chosen files to choose again."""
    return {path: _('Choose %(files)s again: a chosen file is kept only when the form is submitted without '
                    'errors or saved as a draft.', files=', '.join(f'"{n}"' for n in names if n) or _('the file'))
            for path, names in dropped.items()}
