"""SpiffWorkflow integration: deploy versions, run instances through one locked command path,
project their state for queries. Knows the database and nothing of the web."""
from . import settings
from .specs import spec_cache


def init_engine(config):
    # Every model class must be known to SQLAlchemy before the first query.
    from . import messages, models  # noqa: F401  (messages registers its outbox dispatcher)
    import accounts.models  # noqa: F401
    settings.configure(config)
    spec_cache.size = config.get('SPEC_CACHE_SIZE', spec_cache.size)
