"""Settings for the privacy-operations portal, read from the environment.

DJANGO_ENV picks a profile: ``development`` (default, embedded SQLite and a
broker-less Celery), ``test`` (what pytest uses) or ``production`` (every
secret required, ``check --deploy`` clean). A missing or malformed variable
stops start-up with one line that names it.
"""

import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PROFILES = ("development", "test", "production")
PRODUCTION = DJANGO_ENV == "production"
TESTING = DJANGO_ENV == "test"


def config_error(name: str, problem: str) -> None:
    # One clear line instead of a traceback: operators read this in a deploy log.
    sys.exit(f"Configuration error: {name} {problem}")


TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def strict_bool(value) -> bool:
    # django-environ reads "maybe" as False; a typo in a security switch must stop start-up.
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in TRUE | FALSE:
        raise ValueError(f"expected one of {sorted(TRUE | FALSE - {''})}, got {value!r}")
    return text in TRUE


def setting(name: str, cast=str, *, dev_default=None, default=environ.Env.NOTSET):
    """Read one variable; outside production ``dev_default`` stands in for a secret."""
    if default is environ.Env.NOTSET and not PRODUCTION and dev_default is not None:
        default = dev_default
    if cast is bool:
        cast = strict_bool
    try:
        return env.get_value(name, cast=cast, default=default)
    except (ImproperlyConfigured, ValueError) as exc:
        missing = name not in env.ENVIRON
        config_error(name, "is not set." if missing else f"is malformed: {exc}")


def parsed(name: str, parse, value: str) -> dict:
    try:
        return parse(value)
    except (ImproperlyConfigured, ImportError, ValueError, KeyError) as exc:
        config_error(name, f"is malformed: {exc}")


if DJANGO_ENV not in PROFILES:
    config_error("DJANGO_ENV", f"must be one of {', '.join(PROFILES)}, not {DJANGO_ENV!r}.")

DEBUG = setting("DEBUG", bool, default=False)
SECRET_KEY = setting("SECRET_KEY", dev_default="dev-only-insecure-key-" + "x" * 40)
ALLOWED_HOSTS = setting("ALLOWED_HOSTS", list, default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = setting("CSRF_TRUSTED_ORIGINS", list, default=[])
# Absolute address of the portal, used in links inside e-mails.
PORTAL_BASE_URL = setting("PORTAL_BASE_URL", dev_default="http://127.0.0.1:8000").rstrip("/")
ORGANISATION_NAME = setting("ORGANISATION_NAME", default="Example Retail Ltd")
# Keys the audit hash chain (HMAC): kept out of the database, so database access alone cannot forge it.
AUDIT_KEY = setting("AUDIT_KEY", dev_default="dev-only-audit-key-" + "x" * 40)
# Signed checkpoints of the chain's head, appended outside the database by a periodic job.
AUDIT_CHECKPOINT_FILE = Path(
    setting("AUDIT_CHECKPOINT_FILE", default=str(BASE_DIR / "var" / "audit" / "checkpoints.jsonl"))
)

# --- Database -------------------------------------------------------------
_db_url = setting("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
if urlsplit(_db_url).scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
    config_error(
        "DATABASE_URL", f"is malformed: expected sqlite:///path or postgres://user@host/name, got {_db_url!r}."
    )
DATABASES = {"default": parsed("DATABASE_URL", env.db_url_config, _db_url)}
if not DATABASES["default"].get("NAME"):
    config_error("DATABASE_URL", f"is malformed: it names no database ({_db_url!r}).")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web process and the Celery worker write at once. WAL lets readers go on while one
    # writes; IMMEDIATE takes the write lock at BEGIN, so a second writer waits up to
    # ``timeout`` seconds for it instead of failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": setting("SQLITE_TIMEOUT", int, default=20),
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = setting("DB_CONN_MAX_AGE", int, default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-bound statements (the decision point's; the ORM binds on the client) are prepared from
    # their second run on a connection. DB_PREPARED_STATEMENTS=false for a pooler that cannot keep them.
    if setting("DB_PREPARED_STATEMENTS", bool, default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1
ATOMIC_REQUESTS = False  # services own their transactions
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications ---------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "csp",
    "django_celery_beat",
    "portal",
    "access",
    "incidents",
    "dsar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.api.middleware.BodyLimitMiddleware",  # 413 before anything reads an oversized API body
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Authentication -------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling, first so it can refuse early
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = setting("AXES_FAILURE_LIMIT", int, default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = setting("AXES_ENABLED", bool, default=not TESTING)
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "portal.web.locked_out"

# Guardian: direct foreign-key permission tables; no anonymous user row.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False
GUARDIAN_MONKEY_PATCH_GROUP = False

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en-gb"
# The organisation's zone: deadlines are counted in it; everything is stored in UTC.
TIME_ZONE = setting("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True
# Country whose public holidays move statutory deadlines (python-holidays code).
HOLIDAYS_COUNTRY = setting("HOLIDAYS_COUNTRY", default="GB")

# --- Static files and uploads ---------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded evidence and DSAR packages live outside the web root and are only
# ever served through views that check permission and write an audit event.
PRIVATE_STORAGE_ROOT = Path(setting("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "var" / "private")))
MEDIA_ROOT = PRIVATE_STORAGE_ROOT
MAX_UPLOAD_BYTES = setting("MAX_UPLOAD_BYTES", int, default=20 * 1024 * 1024)
# The demo's customer database (contacts, orders, voice recordings): a separate SQLite file that
# `seed_demo` fills and the demo assets reach through the DSAR SQL connector.
DEMO_CUSTOMERS_DB = Path(setting("DEMO_CUSTOMERS_DB", default=str(BASE_DIR / "var" / "demo_customers.sqlite3")))
# Largest request body other than uploaded files (API JSON, forms): bigger is a 413 under /api/.
DATA_UPLOAD_MAX_MEMORY_SIZE = setting("MAX_BODY_BYTES", int, default=1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Incidents ------------------------------------------------------------
# Largest evidence file an incident accepts (its own limit: evidence is often a mailbox export).
EVIDENCE_MAX_BYTES = setting("EVIDENCE_MAX_BYTES", int, default=25 * 1024 * 1024)
# The contact point a regulator notification names (Art. 33(3)(b)): the DPO, or whoever acts for them.
DPO_CONTACT = setting("DPO_CONTACT", default="Data Protection Officer, dpo@example.com")
# Detection and awareness further apart than this need a recorded reason (the clocks run from awareness).
INCIDENT_AWARENESS_GAP_MINUTES = setting("INCIDENT_AWARENESS_GAP_MINUTES", int, default=60)

# --- E-mail ---------------------------------------------------------------
_email = setting(
    "EMAIL_URL",
    dev_default="consolemail://",
    default="memorymail://" if TESTING else environ.Env.NOTSET,
)


vars().update(parsed("EMAIL_URL", env.email_url_config, _email))
DEFAULT_FROM_EMAIL = setting("DEFAULT_FROM_EMAIL", default="privacy-portal@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------
# Without CELERY_BROKER_URL the embedded default is kombu's filesystem
# transport: `make demo` runs a worker with beat and no broker server.
CELERY_DATA_DIR = BASE_DIR / "var" / "celery"
CELERY_BROKER_URL = setting("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    for sub in ("queue", "processed", "control"):
        (CELERY_DATA_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
else:
    # Redis keeps a delivered message aside until the worker acknowledges it; one not acknowledged
    # within this many seconds (its worker was killed) goes back to the queue for another worker.
    # Longer than any task runs, or a slow task would be handed out twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": setting("CELERY_VISIBILITY_TIMEOUT", int, default=3600)}
CELERY_TASK_ALWAYS_EAGER = setting("CELERY_TASK_ALWAYS_EAGER", bool, default=TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
# A worker that dies mid-task (SIGKILL, out of memory, the machine gone) must not lose the task:
# acknowledge after the task ran, not when it was received; a pool child killed mid-task puts the
# message back; each worker process holds one message at a time, so a crash strands at most one.
# Every task is written to be run twice safely (records before effects, set-based and resumable).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Incident subject notification ----------------------------------------
# Largest CSV of affected subjects (read in chunks, so the size bounds time, not memory).
SUBJECT_IMPORT_MAX_BYTES = setting("SUBJECT_IMPORT_MAX_BYTES", int, default=50 * 1024 * 1024)
# Tries per recipient on mail errors (with exponential backoff) before the row is marked failed.
SUBJECT_MAIL_MAX_ATTEMPTS = setting("SUBJECT_MAIL_MAX_ATTEMPTS", int, default=5)

# --- Caches ---------------------------------------------------------------
CACHES = {"default": parsed("CACHE_URL", env.cache_url_config, setting("CACHE_URL", default="locmemcache://"))}

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous or bad-token call then gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api.permissions.IsActiveUser"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.BoundedJSONParser",  # size and depth limits: hostile JSON is a 4xx
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": setting("THROTTLE_TOKEN", default="20/min"),
        "intake": setting("THROTTLE_INTAKE", default="10/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Privacy-operations portal API",
    "DESCRIPTION": "Least-privilege access grants, incidents and data-subject requests.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Break-glass offers two of the three scopes: two enums, each with its own name.
    # Campaigns reuse the sensitivity and their outcome choices in several fields: one name each.
    "ENUM_NAME_OVERRIDES": {
        "ScopeEnum": "access.models.Scope",
        "BreakGlassScopeEnum": "access.models.BREAK_GLASS_SCOPE_CHOICES",
        "SensitivityEnum": "portal.models.Sensitivity",
        "CampaignOutcomeEnum": "access.campaigns.models.Outcome",
        "IncidentKindEnum": "incidents.models.IncidentKind",
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "FilingKindEnum": "incidents.models.FilingKind",
        "DsarRequestStatusEnum": "dsar.models.RequestStatus",
        "DsarTaskStatusEnum": "dsar.models.TaskStatus",
        "DsarTaskMethodEnum": "dsar.models.TaskMethod",
        "DsarClockStateEnum": "dsar.api.serializers.CLOCK_STATES",
    },
}

# --- Security -------------------------------------------------------------
CSRF_FAILURE_VIEW = "portal.web.csrf_failure"  # JSON under /api/
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = setting("SECURE_SSL_REDIRECT", bool, default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = setting("SECURE_HSTS_SECONDS", int, default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if not ALLOWED_HOSTS:
        config_error("ALLOWED_HOSTS", "is not set.")
    if SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 50:
        config_error("SECRET_KEY", "is malformed: use at least 50 random characters in production.")
    if AUDIT_KEY.startswith("dev-only") or len(AUDIT_KEY) < 32:
        config_error("AUDIT_KEY", "is malformed: use at least 32 random characters in production.")

if TESTING:
    # Argon2 is deliberately slow; tests hash thousands of passwords.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    CELERY_BROKER_URL = setting("CELERY_TEST_BROKER_URL", default="memory://")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": setting("CELERY_VISIBILITY_TIMEOUT", int, default=3600),
        # A real-worker test's killed message comes back a second after its visibility timeout, not on
        # kombu's own sweep (every 10th call of a 10 s timer: up to 100 s late, past the test's wait).
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": setting("LOG_LEVEL", default="INFO")},
}
