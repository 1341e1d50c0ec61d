import click
from flask.cli import AppGroup

from accounts import service
from engine.errors import EngineError

users = AppGroup('users', help='Create users and API tokens.')


@users.command('create')
@click.argument('name')
@click.option('--password', required=True, help='At least 8 characters.')
@click.option('--groups', default='', help='Comma-separated group names (lanes map to groups).')
@click.option('--admin', is_flag=True, help='Add the user to the admin group.')
@click.option('--email', default=None, help='Where mails to the user go.')
@click.option('--locale', type=click.Choice(['en', 'zh']), default=None, help='Language of pages and mails.')
def create(name, password, groups, admin, email, locale):
    """Create a user."""
    try:
        user = service.create_user(name, password, groups.split(','), admin=admin, email=email, locale=locale)
    except EngineError as e:
        raise click.ClickException(e.message)
    click.echo(f'created {user.username} (groups: {", ".join(user.groups) or "none"})')


@users.command('token')
@click.argument('name')
def token(name):
    """Print a new API token for NAME alone on the last line."""
    try:
        click.echo(service.issue_token(name))
    except EngineError as e:
        raise click.ClickException(e.message)


def register(app):
    app.cli.add_command(users)
