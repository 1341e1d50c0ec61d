import os
import re

import click
from flask.cli import AppGroup

from engine import deployments
from engine.bundle import kind_of
from engine.errors import EngineError

models = AppGroup('models', help='Deploy process models.')

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _defines(path, tag, ident):
    with open(path, 'rb') as f:
        return re.search(rb'<(?:\w+:)?' + tag + rb'\b[^>]*\bid="' + re.escape(ident.encode()) + rb'"', f.read())


def bundle_for(bpmn_path, folder):
    """The diagram plus the diagrams its call activities name, the DMN files of its decisions and
    the form files its user tasks use, found in its folder or the project's forms/ folder."""
    search = [folder, os.path.join(folder, 'forms'), os.path.join(PROJECT, 'forms')]
    candidates = [os.path.join(d, n) for d in search if os.path.isdir(d) for n in sorted(os.listdir(d))]
    chosen, todo = {}, [bpmn_path]
    while todo:
        path = todo.pop()
        name = os.path.basename(path)
        if name in chosen:
            continue
        chosen[name] = path
        with open(path, 'rb') as f:
            text = f.read()
        for ident in re.findall(rb'calledElement="([^"]+)"', text):
            todo += [c for c in candidates if kind_of(c) == 'bpmn' and _defines(c, b'process', ident.decode())][:1]
        for ident in re.findall(rb'(?:calledDecisionId>|decisionRef=")\s*([^<"\s]+)', text):
            todo += [c for c in candidates if kind_of(c) == 'dmn' and _defines(c, b'decision', ident.decode())][:1]
        for form in re.findall(rb'name="form(?:Json|Ui)SchemaFilename"\s+value="([^"]+)"', text):
            todo += [c for c in candidates if os.path.basename(c) == form.decode()][:1]
    return {name: open(path, 'rb').read() for name, path in chosen.items()}


@models.command('load')
@click.argument('folder', type=click.Path(exists=True, file_okay=False))
def load(folder):
    """Deploy every .bpmn file of FOLDER as the model named after the file."""
    failed = 0
    for name in sorted(os.listdir(folder)):
        if kind_of(name) != 'bpmn':
            continue
        key = re.sub(r'\.bpmn(20\.xml)?$', '', name)
        try:
            version, created = deployments.deploy(key, bundle_for(os.path.join(folder, name), folder),
                                                  actor='cli', message=f'loaded from {folder}')
        except EngineError as e:
            failed += 1
            click.echo(f'{key}: REFUSED {e.message}', err=True)
            for d in e.details or []:
                if isinstance(d, dict):
                    click.echo(f'  {d.get("file")} {d.get("element_id") or ""}: {d.get("message")}', err=True)
            continue
        click.echo(f'{key}: version {version.version} {"deployed" if created else "unchanged"}')
    if failed:
        raise click.ClickException(f'{failed} model(s) refused')


def register(app):
    app.cli.add_command(models)
