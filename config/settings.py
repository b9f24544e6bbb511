"""Settings for Koning Klant, read from environment variables (see README, "Configuration").

Without DATABASE_URL the app runs on SQLite; without REDIS_URL Celery runs tasks in-process.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    DEVELOPMENT_SECRET_KEY,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key_weakness,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
# With DEBUG on, show Django's technical 404/500 pages instead of the site's own (developers).
DEBUG_TECHNICAL_PAGES = env_bool("DEBUG_TECHNICAL_PAGES", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif not DEBUG and (problem := secret_key_weakness(SECRET_KEY)):
    # Django only warns (security.W009); a known or guessable key signs sessions, password
    # reset and opt-out links, so with DEBUG off the site refuses to start.
    raise ImproperlyConfigured(f"SECRET_KEY is too weak for DEBUG off: {problem}.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "ninja",
    "csp",
    "axes",
    # Our apps, ground floor first: each imports only those above it in this list.
    "organisations",
    "feedback",
    "kpis",
    "programmes",
    "levels",
    "alignment",
    "ideas",
    "followups",
    "dashboards",
]

# Largest upload (feedback imports); the largest request body otherwise.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MEGABYTES", 50) * 1024 * 1024

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses what every middleware below has finished (static files: WhiteNoise's own).
    "organisations.middleware.GZipUnlessSecretMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "organisations.middleware.OrganisationTimeZoneMiddleware",
    # Once the person is known (read from the primary): pages read the replica when it is fresh.
    "config.replica.ReplicaMiddleware",
    "organisations.middleware.PrivacyHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "organisations.middleware.HtmxVaryMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # With DEBUG on, the site's own 404 and 500 pages instead of Django's technical ones.
    "config.error_pages.ErrorPagesInDebugMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "dashboards.context_processors.navigation",
                "dashboards.context_processors.source_code",
            ],
        },
    },
]

# Widgets may have templates of their own in templates/ (the survey's score buttons).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Database: SQLite next to the code unless DATABASE_URL points elsewhere (PostgreSQL in production).
DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A read replica (optional): a PostgreSQL streaming standby of DATABASE_URL. Pages and the
# KPI API read from it while it has replayed everything the primary had written when the
# request came in; otherwise, and for everything that writes, the primary (config/replica.py).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
# Seconds to wait for the replica to answer a connection (libpq counts less than 2 as 2).
REPLICA_CONNECT_TIMEOUT = env_int("REPLICA_CONNECT_TIMEOUT", 2)
# After the replica failed, this process reads the primary for this long before trying again.
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 10)
# How long a request waits for the replica to catch up before it reads the primary instead.
REPLICA_MAX_WAIT_MS = env_int("REPLICA_MAX_WAIT_MS", 50)
# After a person's request that may have written (any POST), their pages read the primary
# for this long, so they see their change at once whatever the replica's lag.
REPLICA_WRITER_SECONDS = env_int("REPLICA_WRITER_SECONDS", 5)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", REPLICA_CONNECT_TIMEOUT
    )
    # Tests read "the replica" from the test database itself.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]

# Redis: broker, result store, cache and rate limits. Without it, everything stays in-process.
REDIS_URL = env_str("REDIS_URL")
# Redis answers within a second or counts as down: a request never waits on it for long.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kk",
            "OPTIONS": REDIS_TIMEOUTS,
        },
        # Rate limits and login throttling: while Redis is down, a limit per process.
        "limits": {
            "BACKEND": "config.caches.RedisOrLocalCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kk",
            "OPTIONS": REDIS_TIMEOUTS,
        },
        # Parts of pages made from the rollups (dashboards/figure_cache.py), keyed by the
        # rollups' version: while Redis is down, kept per process, never stale.
        "pages": {
            "BACKEND": "config.caches.RedisOrLocalCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kk",
            "OPTIONS": REDIS_TIMEOUTS,
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
    }

AUTH_USER_MODEL = "organisations.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out login is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "organisations.sso.PasswordBackend",
    # Single sign-on: the organisation's OpenID Connect provider (organisations/sso.py).
    "organisations.sso.OrganisationOIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: after AXES_FAILURE_LIMIT failures for one username from one address, that
# pair waits out the cool-off. Locking on the pair means nobody can lock a colleague out from
# elsewhere, and the answer is the same whether or not the username exists.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
# Failed logins from one address, whatever the name, before that address pauses.
LOGIN_FAILURES_PER_ADDRESS = env_str("LOGIN_FAILURES_PER_ADDRESS", "50/h")
# Password-reset e-mails asked for, per address and per e-mail address.
PASSWORD_RESETS_PER_ADDRESS = env_str("PASSWORD_RESETS_PER_ADDRESS", "10/h")
PASSWORD_RESETS_PER_EMAIL = env_str("PASSWORD_RESETS_PER_EMAIL", "3/h")

# How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the client
# connects directly). Login throttling and rate limits key on the address they report.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
RATELIMIT_USE_CACHE = "limits"
RATELIMIT_IP_META_KEY = "config.client_ip.client_ip"
RATELIMIT_VIEW = "organisations.views.too_many_requests"
# The public survey form: answers per address and per survey link, e.g. "20/h".
SURVEY_RATE_PER_ADDRESS = env_str("SURVEY_RATE_PER_ADDRESS", "20/h")
SURVEY_RATE_PER_LINK = env_str("SURVEY_RATE_PER_LINK", "1000/h")

# Internationalisation: English and Dutch; the browser's language unless the person chose one.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "nl")
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names in production so browsers cache assets forever.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# In development whitenoise serves straight from the source folders; in production from
# STATIC_ROOT, filled by collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# E-mail: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Koning Klant <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the running code can be had: the AGPL asks a network service to offer its source to
# its users (the footer links here). Point it at your own copy when you change the code.
SOURCE_URL = env_str("SOURCE_URL", "https://github.com/koning-klant/koning-klant")
# Single sign-on (OpenID Connect), set up per organisation by its management. Client secrets
# are stored encrypted with a key derived from SSO_SECRET_KEY (default: SECRET_KEY).
SSO_SECRET_KEY = env_str("SSO_SECRET_KEY")
SSO_TIMEOUT_SECONDS = env_int("SSO_TIMEOUT_SECONDS", 10)
OIDC_TIMEOUT = SSO_TIMEOUT_SECONDS
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
# How long the link in a welcome e-mail lets a new person choose their password.
WELCOME_LINK_DAYS = env_int("WELCOME_LINK_DAYS", 7)
# The address links in e-mails (the weekly digest) point to.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Security headers and cookies. Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Features no page uses, switched off for the site and anything it might embed.
PERMISSIONS_POLICY = env_str(
    "PERMISSIONS_POLICY",
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "publickey-credentials-get=(), screen-wake-lock=(), xr-spatial-tracking=()",
)
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # container health checks speak plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Asking browsers to preload HSTS binds every subdomain of the owner's domain for a long time;
# that is the domain owner's call (SECURE_HSTS_PRELOAD=true), not a default we can make for them.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# django-ratelimit warns about any cache backend it does not know; ours is its Redis one with a
# per-process fallback (config/caches.py).
SILENCED_SYSTEM_CHECKS += ["django_ratelimit.W001"]
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: nothing inline, nothing from elsewhere. Our own scripts carry the
# per-request nonce; there are no inline scripts, styles or event handlers to allow.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Celery: Redis as broker and result store when configured, otherwise tasks run eagerly.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task killed mid-way is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Longer than any task (time limit above) and than any countdown we schedule: otherwise Redis
# hands an unacknowledged task to a second worker while the first still runs it.
# Sending a task gives up at once when Redis is down (ingest has marked its rows; the sweeper
# catches up), instead of holding the request for seconds of reconnection attempts.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 60 * 60,
    # A Redis that accepts connections but answers nothing (a hung host) counts as down too.
    "socket_connect_timeout": 1,
    "socket_timeout": 1,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Results (which only tests and /healthz read) likewise: one quick try, not 20 × 1 s.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues by kind of work, so each kind can have workers of its own on other hosts (README,
# "Production"): figures kept current, e-mail going out, uploaded files read in. Everything
# else goes to the default queue. A worker started without -Q consumes all of them
# (config/celery.py declares every queue).
CELERY_TASK_DEFAULT_QUEUE = "celery"
TASK_QUEUES_BY_KIND = {
    "rollups": [
        "kpis.tasks.recompute_rollups",
        "kpis.tasks.sweep_dirty_rollups",
        "feedback.tasks.retag_comments",
        "feedback.tasks.sweep_theme_retags",
        "feedback.tasks.restamp_local_days",
        "feedback.tasks.sweep_clock_changes",
    ],
    "mail": [
        "alignment.tasks.send_alignment_invitations",
        "alignment.tasks.send_alignment_reminders",
        "dashboards.tasks.send_weekly_digests",
        "dashboards.tasks.send_reply",
        "dashboards.tasks.send_pending_replies",
        "dashboards.tasks.send_praise",
        "feedback.tasks.send_invitations",
        "ideas.tasks.notify_proposer",
        "organisations.tasks.send_welcome_emails",
        "organisations.tasks.send_pending_welcomes",
        "programmes.tasks.send_update_emails",
    ],
    "imports": [
        "feedback.tasks.run_import",
        "feedback.tasks.sweep_stale_imports",
    ],
}
CELERY_TASK_ROUTES = {
    task: {"queue": queue} for queue, tasks in TASK_QUEUES_BY_KIND.items() for task in tasks
}

CELERY_BEAT_SCHEDULE = {
    "settle-alignment-surveys": {
        "task": "alignment.tasks.settle_alignment_surveys",
        "schedule": timedelta(minutes=5),
    },
    "sweep-dirty-rollups": {
        "task": "kpis.tasks.sweep_dirty_rollups",
        "schedule": timedelta(minutes=1),
    },
    "sweep-theme-retags": {
        "task": "feedback.tasks.sweep_theme_retags",
        "schedule": timedelta(minutes=5),
    },
    "sweep-clock-changes": {
        "task": "feedback.tasks.sweep_clock_changes",
        "schedule": timedelta(minutes=5),
    },
    "sweep-stale-imports": {
        "task": "feedback.tasks.sweep_stale_imports",
        "schedule": timedelta(minutes=5),
    },
    "heartbeat": {
        "task": "organisations.tasks.record_heartbeat",
        "schedule": timedelta(minutes=1),
    },
    "purge-contact-emails": {
        "task": "feedback.tasks.purge_contact_emails",
        "schedule": timedelta(hours=6),
    },
    # Hourly, so a beat that was down on Monday morning still sends; each person gets a
    # week's digest once (DigestSent), from Monday 07:00 in the organisation's time zone.
    "send-pending-welcomes": {
        "task": "organisations.tasks.send_pending_welcomes",
        "schedule": timedelta(minutes=5),
    },
    "weekly-digest": {
        "task": "dashboards.tasks.send_weekly_digests",
        "schedule": timedelta(hours=1),
    },
    # New follow-ups whose message was lost, reminders on the due day, escalations.
    "sweep-followups": {
        "task": "followups.tasks.sweep_followups",
        "schedule": timedelta(minutes=5),
    },
    # Webhook deliveries whose task was lost, and retries whose backoff has passed.
    "sweep-webhooks": {
        "task": "organisations.tasks.sweep_webhooks",
        "schedule": timedelta(minutes=1),
    },
    "forget-old-webhook-comments": {
        "task": "organisations.tasks.forget_old_webhook_comments",
        "schedule": timedelta(hours=24),
    },
    "send-pending-replies": {
        "task": "dashboards.tasks.send_pending_replies",
        "schedule": timedelta(minutes=5),
    },
    "alignment-invitations-and-reminders": {
        "task": "alignment.tasks.send_alignment_reminders",
        "schedule": timedelta(hours=1),
    },
    # Invitation e-mails and their reminders; waits out each organisation's quiet window.
    "send-invitations": {
        "task": "feedback.tasks.send_invitations",
        "schedule": timedelta(minutes=1),
    },
    "size-invitations": {
        "task": "programmes.tasks.size_invitations",
        "schedule": timedelta(hours=24),
    },
    "clear-expired-sessions": {
        "task": "organisations.tasks.clear_expired_sessions",
        "schedule": timedelta(hours=24),
    },
}

# Outgoing webhooks: plain http and the loopback address only where tests or the demo run a
# receiver on this machine; how long a receiver may take before the attempt counts as failed.
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", DEBUG)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)

# Periods a worker recomputes one by one; past this a backfill rebuilds the organisation in one
# pass over its rows, which is cheaper.
ROLLUP_REBUILD_ABOVE = env_int("ROLLUP_REBUILD_ABOVE", 400)

# /healthz answers from a per-process cache this many seconds old at most.
HEALTH_CACHE_SECONDS = env_int("HEALTH_CACHE_SECONDS", 5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
