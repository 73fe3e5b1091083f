"""Settings for the admin portal, configured by environment variables only.

With no environment at all the portal runs as an embedded development instance:
SQLite in the project folder, local-memory cache, console email and SMS, DEBUG on.
Production sets ``DEBUG=false`` and at least ``SECRET_KEY``, ``ALLOWED_HOSTS``,
``DATABASE_URL``, ``REDIS_URL`` and ``PORTAL_BASE_URL`` (see README.md).
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
    # Development only: a fixed key so sessions survive a restart of `make run`.
    SECRET_KEY = "dev-only-insecure-key-never-used-when-debug-is-off"  # noqa: S105
# Keys that were SECRET_KEY before, comma-separated, newest first: what was signed
# (sessions, links) or sealed (core.sealing) under them stays readable
# until they are removed from this list. New data always uses SECRET_KEY.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Passkeys take their relying-party id (the host name) and origin from here, and
# browsers refuse an IP address as a relying-party id: hence localhost by default.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", "http://localhost:8000").rstrip("/")
PORTAL_DEFAULT_COUNTRY = env("PORTAL_DEFAULT_COUNTRY", "NL")
PORTAL_PRODUCT_NAME = env("PORTAL_PRODUCT_NAME", "Admin center")
# Single sign-on: an identity provider's addresses (OpenID Connect discovery, SAML
# metadata) must use https, except when PORTAL_SSO_ALLOW_HTTP is true (a test
# provider on this machine, or DEBUG); PORTAL_SSO_TIMEOUT bounds each call to one.
PORTAL_SSO_ALLOW_HTTP = env_bool("PORTAL_SSO_ALLOW_HTTP", DEBUG)
PORTAL_SSO_TIMEOUT = float(env("PORTAL_SSO_TIMEOUT", "10"))
# Domain verification: which name servers answer TXT lookups (empty: the system's).
PORTAL_DNS_NAMESERVERS = env("PORTAL_DNS_NAMESERVERS", "")
PORTAL_DNS_PORT = env_int("PORTAL_DNS_PORT", 53)
PORTAL_DNS_TIMEOUT = float(env("PORTAL_DNS_TIMEOUT", "3"))

# Billing: who sends the invoices, and the payment provider (a dotted path).
BILLING_SELLER_NAME = env("BILLING_SELLER_NAME", "Admin Portal Services B.V.")
BILLING_SELLER_ADDRESS = [
    line.strip()
    for line in env("BILLING_SELLER_ADDRESS", "Stationsplein 1|3511 ED Utrecht|Netherlands").split(
        "|"
    )
    if line.strip()
]
BILLING_SELLER_VAT_NUMBER = env("BILLING_SELLER_VAT_NUMBER", "NL004495445B01")
BILLING_SELLER_COUNTRY = env("BILLING_SELLER_COUNTRY", "NL")
# The account invoices are paid into by bank transfer (an example bank account by
# default); billing.seller checks both when the portal starts.
BILLING_SELLER_IBAN = env("BILLING_SELLER_IBAN", "NL91ABNA0417164300")
BILLING_SELLER_BIC = env("BILLING_SELLER_BIC", "ABNANL2A")
BILLING_PAYMENT_PROVIDER = env("BILLING_PAYMENT_PROVIDER", "billing.payments.FakePaymentProvider")

INSTALLED_APPS = [
    "accounts",
    "admin_portal.apps.OperatorsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "security_info",
    "users",
    "org_settings",
    "billing",
    "groups",
    "health",
    "support",
    "resources",
    "setup",
    "api",
    "scim",
    "ninja",  # the API docs' static files, served from here (no CDN)
    "reports",
    "security_center",
    "sso",
    "django_countries",
    "django_filters",
    "formtools",
    "core",
    "admin_portal.apps.AdminPortalConfig",
]

MIDDLEWARE = [
    # First: it times the whole stack and stamps X-Request-ID on every response.
    "admin_portal.request_log.RequestLogMiddleware",
    "admin_portal.query_guard.QueryStringGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TenantMiddleware",
    "accounts.middleware.TenantTimeZoneMiddleware",
    "accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.PartnerMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "admin_portal.urls"
WSGI_APPLICATION = "admin_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "admin_portal.context_processors.portal",
            ],
            # {% url %} from memory (core/urls.py): Django's syntax and output. The
            # portal's templates load portal_i18n, Django's i18n with literal
            # {% translate %} kept per language (core/templatetags/portal_i18n.py).
            "builtins": ["core.templatetags.urls"],
        },
    },
]

# Database: DATABASE_URL, else an SQLite file beside manage.py.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A database host that stops answering fails a request in seconds (a 503
    # page) instead of holding a worker until the operating system gives up.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DATABASE_CONNECT_TIMEOUT", 5
    )
    # A read run again and again on one connection (a page's reads, every request's
    # user) is prepared on the server after the fifth time, so PostgreSQL stops
    # planning it anew: planning is most of what a short read costs the database.
    # That needs the values bound on the server. 0 turns it off (a pooler in
    # transaction mode, such as PgBouncer's, cannot keep prepared statements).
    _prepare_after = env_int("DATABASE_PREPARE_THRESHOLD", 5)
    if _prepare_after:
        DATABASES["default"]["OPTIONS"].update(
            server_side_binding=True, prepare_threshold=_prepare_after
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, sessions and every counter (lockouts, rate limits) live in Redis when
# REDIS_URL is set, so any app node sees what another node counted.
REDIS_URL = env("REDIS_URL")
_cache_prefix = env("CACHE_KEY_PREFIX", "portal")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel test workers share one Redis; keep their counters apart.
    _cache_prefix += "-" + os.environ["PYTEST_XDIST_WORKER"]
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, one client per connection pool (core/cache.py).
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _cache_prefix,
            # Like the database: a Redis that stops answering fails fast.
            "OPTIONS": {
                "socket_connect_timeout": env_int("REDIS_TIMEOUT", 2),
                "socket_timeout": env_int("REDIS_TIMEOUT", 2),
            },
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": _cache_prefix,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Background jobs: Celery (admin_portal/celery.py), Redis as the broker --------
# With REDIS_URL, tasks go to the workers (`celery -A admin_portal worker`) and the
# daily jobs are sent by `celery -A admin_portal beat`. Broker and result backend use
# the same Redis database as the cache; their keys cannot meet the cache's, which
# all start with CACHE_KEY_PREFIX + ":" (the queue is a list named CELERY_QUEUE,
# kombu's own keys start with "_kombu." and "unacked", results with
# "celery-task-meta-"). Jobs write their progress and outcome to the database
# themselves (e.g. users.ImportJob), so any node shows it; the result backend only
# keeps what a daily job returned (its counts), for a week, for operators.
#
# Without REDIS_URL (the embedded default) tasks run eagerly, in the process that
# sends them, so `make run` needs nothing else; core.jobs.enqueue then
# runs them in a thread of that process, so the request that asked (an import of
# 10,000 users hashes for minutes) does not wait. CELERY_TASK_ALWAYS_EAGER=true is
# the explicit switch: tasks run eagerly and at once, in the caller, even with
# Redis (the tests set it, so they see the outcome when the call returns and need
# no worker).
_celery_eager_forced = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_RESULT_EXPIRES = 7 * 24 * 60 * 60
# Instances sharing one Redis keep their jobs apart by queue name.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "portal")
CELERY_TASK_ALWAYS_EAGER = _celery_eager_forced or not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Eager tasks sent with core.jobs.enqueue: in a thread (True), or at once.
PORTAL_JOBS_IN_THREAD = CELERY_TASK_ALWAYS_EAGER and not _celery_eager_forced
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A job is acknowledged when done, so a worker that dies mid-job leaves it queued.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# The daily jobs, at night (UTC), for `celery -A admin_portal beat`.
CELERY_BEAT_SCHEDULE = {
    "purge-deleted-users": {
        "task": "users.tasks.purge_deleted_users",
        "schedule": crontab(hour=2, minute=0),
    },
    "purge-deleted-groups": {
        "task": "groups.tasks.purge_deleted_groups",
        "schedule": crontab(hour=2, minute=10),
    },
    "renew-subscriptions": {
        "task": "billing.tasks.renew_subscriptions",
        "schedule": crontab(hour=2, minute=20),
    },
    "generate-invoices": {
        "task": "billing.tasks.generate_invoices",
        "schedule": crontab(hour=3, minute=0),
    },
    "recheck-domains": {
        "task": "org_settings.tasks.recheck_domains",
        "schedule": crontab(hour=3, minute=30),
    },
    "expire-user-exports": {
        "task": "users.tasks.expire_user_exports",
        "schedule": crontab(minute=45),
    },
    "retry-due-messages": {
        "task": "core.tasks.retry_due_messages",
        "schedule": 60.0,
    },
    "expire-temporary-passes": {
        "task": "security_info.tasks.expire_temporary_passes",
        "schedule": crontab(minute=15),
    },
    "purge-signins": {
        "task": "security_center.tasks.purge_signins",
        "schedule": crontab(hour=2, minute=30),
    },
    # Expiry ends a relationship by itself (nobody acts past it); this marks it ended
    # and tells both sides a week before.
    "expire-partner-relationships": {
        "task": "accounts.tasks.expire_partner_relationships",
        "schedule": crontab(minute=5),
    },
}
# --- end of background jobs ---------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.PortalBackend"]
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:signin"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PORTAL_PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "accounts.password_validation.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling (accounts/lockout.py), counted before any password or code
# is checked. PORTAL_LOCKOUT_ATTEMPTS failures for one sign-in name from one client
# lock that pair for PORTAL_LOCKOUT_SECONDS. PORTAL_THROTTLE_ADDRESS_ATTEMPTS
# failures from one client address, whatever the names, lock the address for
# PORTAL_THROTTLE_ADDRESS_SECONDS (password spraying). After
# PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS consecutive failures of one name from any
# address, each attempt waits for the next: PORTAL_THROTTLE_ACCOUNT_DELAY_SECONDS,
# doubling up to PORTAL_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS, except from addresses
# the account signed in from in the last PORTAL_THROTTLE_FAMILIAR_DAYS; at
# PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES (at most 100) password sign-in stops until
# the password is reset. PORTAL_RESET_ADDRESS_ATTEMPTS self-service reset codes
# may be asked for from one address per hour. PORTAL_TRUSTED_PROXIES is the number
# of reverse proxies in front of the app that append to X-Forwarded-For; with 0
# the header is ignored, so a client cannot forge its address.
# How long a rendered page of an organization's data is kept for the session that
# asked (core/pagecache.py); any change in the organization renders it afresh at once,
# so this bounds only what changes without an audit event (sign-in times). 0: off.
PORTAL_PAGE_CACHE_SECONDS = env_int("PORTAL_PAGE_CACHE_SECONDS", 60)
# Requests an API client may make a minute, counted on every node alike; over it, 429.
PORTAL_API_RATE_LIMIT = env_int("PORTAL_API_RATE_LIMIT", 600)
PORTAL_LOCKOUT_ATTEMPTS = env_int("PORTAL_LOCKOUT_ATTEMPTS", 5)
PORTAL_LOCKOUT_SECONDS = env_int("PORTAL_LOCKOUT_SECONDS", 15 * 60)
PORTAL_THROTTLE_ADDRESS_ATTEMPTS = env_int("PORTAL_THROTTLE_ADDRESS_ATTEMPTS", 50)
PORTAL_THROTTLE_ADDRESS_SECONDS = env_int("PORTAL_THROTTLE_ADDRESS_SECONDS", 15 * 60)
PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS = env_int("PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS", 10)
PORTAL_THROTTLE_ACCOUNT_DELAY_SECONDS = env_int("PORTAL_THROTTLE_ACCOUNT_DELAY_SECONDS", 60)
PORTAL_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS = env_int(
    "PORTAL_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS", 60 * 60
)
PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES = env_int("PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES", 100)
PORTAL_THROTTLE_FAMILIAR_DAYS = env_int("PORTAL_THROTTLE_FAMILIAR_DAYS", 30)
PORTAL_RESET_ADDRESS_ATTEMPTS = env_int("PORTAL_RESET_ADDRESS_ATTEMPTS", 20)
for _name in (
    "PORTAL_LOCKOUT_ATTEMPTS",
    "PORTAL_LOCKOUT_SECONDS",
    "PORTAL_THROTTLE_ADDRESS_ATTEMPTS",
    "PORTAL_THROTTLE_ADDRESS_SECONDS",
    "PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS",
    "PORTAL_THROTTLE_ACCOUNT_DELAY_SECONDS",
    "PORTAL_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS",
    "PORTAL_THROTTLE_FAMILIAR_DAYS",
    "PORTAL_RESET_ADDRESS_ATTEMPTS",
):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1.")
if not 1 <= PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES <= 100:
    # NIST SP 800-63B: no more than 100 consecutive failed attempts on one account.
    raise ImproperlyConfigured("PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES must be between 1 and 100.")
if PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS >= PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES:
    raise ImproperlyConfigured(
        "PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS must be below PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES."
    )
PORTAL_TRUSTED_PROXIES = env_int("PORTAL_TRUSTED_PROXIES", 0)

# The Security center's sign-in log keeps every attempt this many days; a nightly
# job deletes older rows.
PORTAL_SIGNIN_LOG_DAYS = env_int("PORTAL_SIGNIN_LOG_DAYS", 30)
if PORTAL_SIGNIN_LOG_DAYS < 1:
    raise ImproperlyConfigured("PORTAL_SIGNIN_LOG_DAYS must be at least 1.")

# Sessions: signed out after PORTAL_SESSION_IDLE_SECONDS without a request, and
# after PORTAL_SESSION_MAX_SECONDS whatever happens.
PORTAL_SESSION_IDLE_SECONDS = env_int("PORTAL_SESSION_IDLE_SECONDS", 60 * 60)
PORTAL_SESSION_MAX_SECONDS = env_int("PORTAL_SESSION_MAX_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_AGE = PORTAL_SESSION_MAX_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "portal_session"
CSRF_COOKIE_NAME = "portal_csrftoken"

OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Admin portal")

# Email (Django's backends) and SMS (security_info.sms) chosen by environment.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds the SMTP backend waits for the mail server, so a hung one never holds a worker.
EMAIL_TIMEOUT = float(env("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Admin portal <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# SMS (security_info.sms): console | locmem | file | http, like Django's email backends.
SMS_BACKEND = env("SMS_BACKEND", "console")
SMS_FILE_PATH = env("SMS_FILE_PATH", str(BASE_DIR / "var" / "sms"))
SMS_HTTP_URL = env("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN", "")
SMS_HTTP_TIMEOUT = float(env("SMS_HTTP_TIMEOUT", "5"))

# An Active users export of more rows than this is written by a background job.
USERS_EXPORT_BACKGROUND_ROWS = env_int("USERS_EXPORT_BACKGROUND_ROWS", 5000)

# The outbox (core.outbox): a failed SMS or email is tried again after
# OUTBOX_RETRY_SECONDS, then twice as long each time up to OUTBOX_RETRY_MAX_SECONDS;
# a notice is given up after OUTBOX_NOTICE_HOURS (a code when it expires).
OUTBOX_RETRY_SECONDS = float(env("OUTBOX_RETRY_SECONDS", "10"))
OUTBOX_RETRY_MAX_SECONDS = float(env("OUTBOX_RETRY_MAX_SECONDS", "3600"))
OUTBOX_NOTICE_HOURS = float(env("OUTBOX_NOTICE_HOURS", "24"))
# Country calling codes SMS may be sent to (toll-fraud guard); empty allows all.
SMS_ALLOWED_CALLING_CODES = [
    int(c) for c in env_list("SMS_ALLOWED_CALLING_CODES", ["31", "32", "33", "49", "44", "1"])
]
# Alternate email: check that the domain can receive mail (needs DNS; off by default).
SECURITY_INFO_EMAIL_CHECK_DELIVERABILITY = env_bool(
    "SECURITY_INFO_EMAIL_CHECK_DELIVERABILITY", False
)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The platform's zone: the default of each organization's own (Tenant.time_zone,
# activated per request by accounts.middleware), and the operators' site's.
TIME_ZONE = env("TIME_ZONE", "UTC")
# One date and one date-time format per language, month as a word: core/formats/.
FORMAT_MODULE_PATH = ["core.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic target for production; in development static files come from the finders.
STATIC_ROOT = env("STATIC_ROOT") or (None if DEBUG else str(BASE_DIR / "var" / "static"))
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security headers. The Content-Security-Policy allows no inline script and no
# other host: every asset is served from this origin.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if env_bool("SECURE_PROXY_SSL_HEADER", False):
        # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if not SECURE_SSL_REDIRECT:
        # The proxy in front redirects http to https; the app never sees plain http.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]

# Logs go to stderr (the journal under systemd). Each request writes one JSON line
# on the portal.request logger (admin_portal/request_log.py; README, Production).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "admin_portal.request_log.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "json": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.security": {"level": "WARNING"},
        "portal.request": {
            "handlers": ["json"],
            "level": env("REQUEST_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
    },
}

# Error reports through Sentry, only when SENTRY_DSN is set; no personal data, and
# passwords, codes, tokens, cookies and request bodies scrubbed
# (admin_portal/error_reporting.py).
SENTRY_DSN = env("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
SENTRY_RELEASE = env("SENTRY_RELEASE", "")
SENTRY_TRACES_SAMPLE_RATE = float(env("SENTRY_TRACES_SAMPLE_RATE", "0"))
if SENTRY_DSN:
    from admin_portal import error_reporting

    error_reporting.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

FORM_RENDERER = "core.form_renderer.PortalFormRenderer"
