"""The Flask application factory."""
import logging
import os

from flask import Flask

from config import Config, INSTANCE_DIR


def create_app(overrides=None):
    app = Flask(__name__, instance_path=INSTANCE_DIR)
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    logging.getLogger('alembic.runtime.plugins').setLevel(logging.WARNING)
    # SpiffWorkflow logs every task state change at INFO: a line per step of every instance.
    logging.getLogger('spiff').setLevel(logging.WARNING)

    from engine import init_engine
    from engine.db import db
    from flask_migrate import Migrate
    db.init_app(app)
    Migrate(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), 'migrations'))
    init_engine(app.config)
    import tasks.setup
    tasks.setup.init_app(app)

    from . import errors
    errors.register(app)
    from .api import bp as api_bp
    app.register_blueprint(api_bp)
    from .main import bp as main_bp
    app.register_blueprint(main_bp)
    from .auth import extensions as page_extensions
    page_extensions.init_app(app)
    page_extensions.exempt_from_csrf(api_bp)
    from .auth import bp as auth_bp
    app.register_blueprint(auth_bp)
    from .inbox import bp as inbox_bp
    app.register_blueprint(inbox_bp)
    from .instances_ui import bp as instances_ui_bp
    app.register_blueprint(instances_ui_bp)
    from .orders_ui import bp as orders_ui_bp
    app.register_blueprint(orders_ui_bp)
    from .modeler import bp as modeler_bp
    app.register_blueprint(modeler_bp)
    from . import cli
    cli.register(app)
    return app
