import click
from flask.cli import AppGroup

demo = AppGroup('demo', help='Demo users and orders.')


@demo.command('load')
def load():
    """Create demo users for every role and demo orders at different stages (idempotent)."""
    from .demo_data import load_demo
    for line in load_demo():
        click.echo(line)


def register(app):
    app.cli.add_command(demo)
