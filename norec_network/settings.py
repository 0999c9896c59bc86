"""Settings for the Norec Network portal.

One module for every environment: development, CI and production differ only in environment
variables (see `.env.example`). With nothing set, safe local defaults apply so that `make run` works
on a laptop with only Python: a SQLite file and a filesystem Celery broker under `var/`, and mails
written to `var/mail/`.
"""

from pathlib import Path
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


class _Env(environ.Env):
    """The environment, read as django-environ does; a value it cannot read as its type (a port
    that is not a number, client parameters that are not JSON) stops start-up with the variable's
    name and what it should be, rather than a traceback from deep inside a parser."""

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
            wanted = getattr(cast, "__name__", None) or type(cast).__name__
            wanted = {"loads": "JSON"}.get(wanted, wanted)
            # Never the value itself: it may hold a secret (SES client parameters hold keys).
            where = f" ({exc.msg} at character {exc.pos})" if hasattr(exc, "pos") else ""
            raise ImproperlyConfigured(f"{var} cannot be read as {wanted}{where}.") from None


env = _Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=True)

if DEBUG:
    # A development key only; production refuses to start without DJANGO_SECRET_KEY (no default).
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")
else:
    SECRET_KEY = env("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "norec_network.admin_config.NorecAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "anymail",
    "django_countries",
    "phonenumber_field",
    "core",
    "members",
    "invitations",
    "activities",
    "newsletters",
    "community",
    "backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session (its cookie is a database lookup) and CSRF (which parses the body).
    "core.request_guard.RequestGuardMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The language, in this order: LocaleMiddleware (above) has activated the visitor's choice
    # (the switcher's cookie), else Accept-Language, else English; this one, which needs the
    # user, replaces it with a logged-in member's profile language, and keeps the admin in
    # English unless the switcher's cookie chose another (members/language.py).
    "members.language.MemberLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "backoffice.staff_access.StaffMFARequiredMiddleware",
]

ROOT_URLCONF = "norec_network.urls"
WSGI_APPLICATION = "norec_network.wsgi.application"
SITE_ID = 1

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
                "core.context_processors.site",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # `make run`'s SQLite ignores the directory's covering index (INCLUDE columns); that index
    # matters on PostgreSQL only, so the warning is noise there.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate limits (allauth's and ours) live in the cache, so production needs a shared one (Redis).
# Without CACHE_URL, production (DEBUG off) with a Redis broker uses that Redis (database 1), so
# that limits hold across web processes; a developer's machine uses local memory.
_broker = urlsplit(env("CELERY_BROKER_URL", default=""))
_default_cache = (
    urlunsplit(_broker._replace(path="/1"))  # keeps credentials and options such as TLS
    if not DEBUG and _broker.scheme in ("redis", "rediss")
    else "locmemcache://"
)
CACHES = {"default": env.cache("CACHE_URL", default=_default_cache)}

# --- Accounts ---------------------------------------------------------------------------------

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "members:home"

ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
# Security notices to the member: above all "your address was changed", sent to the old address
# (templates/account/email/email_changed_*), and "your password was changed".
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Norec Network] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# Rate limits (allauth's and ours, core/ratelimit.py) are per client address. Behind the
# TLS proxy every request comes from the proxy: set this to the number of proxies of our own in
# front (1 for the documented set-up) so that the client is read from the X-Forwarded-For entry
# the proxy wrote. 0 (the default) ignores the header, which a client could fill with anything.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# Bump when the privacy notice changes; consent is recorded with the version the member saw.
PRIVACY_NOTICE_VERSION = "2026-11"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Norec Network"
# One 30-second step either side: a phone's clock drifts and typing the code takes a moment
# (RFC 6238 recommends allowing it); without it a code typed at the end of its step fails.
MFA_TOTP_TOLERANCE = 1

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates read the way each language writes them (English the British way); see core/formats/.
FORMAT_MODULE_PATH = ["core.formats"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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
# In development WhiteNoise serves straight from the app folders; production serves collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Files browsers and crawlers ask for at the site root (/favicon.ico on every first visit),
# served by WhiteNoise under their own names, with a short cache lifetime.
WHITENOISE_ROOT = BASE_DIR / "root_files"
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"

# --- Email ------------------------------------------------------------------------------------
# Choosing an ESP is configuration only: ANYMAIL_ESP=postmark plus that ESP's keys as
# ANYMAIL_<KEY> variables (e.g. ANYMAIL_POSTMARK_SERVER_TOKEN). Without an ESP, DJANGO_EMAIL_BACKEND
# decides (SMTP to a local sink, say); without that either, mails are written to var/mail/.

ANYMAIL_ESP = env("ANYMAIL_ESP", default="")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_") and key not in ("ANYMAIL_ESP", "ANYMAIL_WEBHOOK_SECRET")
}
# How long an ESP's HTTP API may take to accept a connection, and then to answer (each; anymail
# passes it to requests). Given here rather than left to anymail's default so that it is a number
# even when set from the environment (requests refuses a string), and so that a batch call that
# hangs ends well within OUTBOUND_STALE_SECONDS; the batch sender then leaves its group for the
# ESP's webhooks (core/outbound/esp_errors.py).
ANYMAIL["REQUESTS_TIMEOUT"] = env.float("ANYMAIL_REQUESTS_TIMEOUT", default=30.0)
# Amazon SES goes through boto3, not requests: the same timeouts, and no retries. boto3 sends a
# call again by itself after a read timeout or a 5xx, which would hand SES a batch of 50 (or a
# single message) twice; without retries the sender leaves such a call for SES's events
# (core/outbound/esp_errors.py). ANYMAIL_AMAZON_SES_CLIENT_PARAMS, as JSON (e.g.
# {"region_name": "eu-west-1"}), gives boto3's other client parameters.
_ses_client = env.json("ANYMAIL_AMAZON_SES_CLIENT_PARAMS", default={})
if not isinstance(_ses_client, dict) or not isinstance(_ses_client.get("config", {}), dict):
    raise ImproperlyConfigured(
        'ANYMAIL_AMAZON_SES_CLIENT_PARAMS must be a JSON object, e.g. {"region_name": "eu-west-1"}'
    )
ANYMAIL["AMAZON_SES_CLIENT_PARAMS"] = {
    **_ses_client,
    "config": {
        "connect_timeout": ANYMAIL["REQUESTS_TIMEOUT"],
        "read_timeout": ANYMAIL["REQUESTS_TIMEOUT"],
        **_ses_client.get("config", {}),
        "retries": {"total_max_attempts": 1},
    },
}
ANYMAIL_WEBHOOK_SECRET = env("ANYMAIL_WEBHOOK_SECRET", default="")
if ANYMAIL_WEBHOOK_SECRET:
    ANYMAIL["WEBHOOK_SECRET"] = ANYMAIL_WEBHOOK_SECRET
# Without the secret anymail accepts anyone's tracking events (only logging a warning), and one
# forged complaint per sequential id marks the whole roster bad and pauses every wave. Like a
# missing secret key, that is refused at start-up in production rather than reported by a check
# an operator may never run: the web server, the workers and every command stop here.
_user, _colon, _password = ANYMAIL_WEBHOOK_SECRET.partition(":")
if ANYMAIL_ESP and not DEBUG and not (_user and _colon and _password):
    raise ImproperlyConfigured(
        "ANYMAIL_ESP is set but ANYMAIL_WEBHOOK_SECRET is not (or is not user:password): "
        "without it anyone can post tracking events. Set ANYMAIL_WEBHOOK_SECRET=user:password "
        "and give the same basic auth in the ESP's webhook URL."
    )
if ANYMAIL_ESP:
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
else:
    EMAIL_BACKEND = env(
        "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
    )
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Norec Network <network@norec.no>")
# The domain that receives members' replies by e-mail to community mails (reply+...@domain);
# empty turns reply by e-mail off (community/reply_tokens.py).
COMMUNITY_REPLY_DOMAIN = env("COMMUNITY_REPLY_DOMAIN", default="")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The network adviser's address: replies to invitations and requests go here.
NETWORK_ADVISER_EMAIL = env("NETWORK_ADVISER_EMAIL", default="network@norec.no")

# --- Celery -----------------------------------------------------------------------------------
# Without CELERY_BROKER_URL, kombu's filesystem transport needs no server (make run on a laptop);
# its "localhost" only keeps kombu from warning on every connection. It carries the broadcast that
# worker pings need, so /healthz reports workers under `make run` too.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Worker and web server must share this folder (a test picks its own).
    _broker_dir = Path(env("CELERY_BROKER_FOLDER", default=str(VAR_DIR / "broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    # Redis redelivers unacknowledged tasks after this; the database rows, not the broker, are
    # the truth for sending, and a periodic task recovers stale work within minutes.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Bulk mail has its own queue, served by a worker of its own (compose, Procfile.dev), so that a
# newsletter never delays a password reset on the `email` queue.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "norec_network.send_email": {"queue": "email"},
    "norec_network.outgoing_mail_retry_due": {"queue": "email"},
    "norec_network.outbound_tick": {"queue": "bulk"},
    "norec_network.outbound_send_batch": {"queue": "bulk"},
    "norec_network.outbound_sweep": {"queue": "bulk"},
    "norec_network.outbound_prepare": {"queue": "bulk"},
    "newsletters.newsletters_send_due": {"queue": "bulk"},
}
# Periodic jobs (batch senders, reminders) are added here by the apps that need them. Workers need
# no heartbeat: /healthz pings them, which works on Redis and on the filesystem broker alike.
CELERY_BEAT_SCHEDULE: dict = {
    # Newsletters: start the ones whose scheduled time has come.
    "newsletters-send-due": {"task": "newsletters.newsletters_send_due", "schedule": 60.0},
}
# One-off mail (core/tasks.py): send again what waits for another attempt or lost its task.
CELERY_BEAT_SCHEDULE["mail-retry-due"] = {
    "task": "norec_network.outgoing_mail_retry_due",
    "schedule": 60.0,
    "options": {"expires": 60.0},
}
# Activities: the reminder the day before (once per registration; registrations_send_reminders).
CELERY_BEAT_SCHEDULE["activities-reminders"] = {
    "task": "activities.registrations_send_reminders",
    "schedule": 15 * 60,
}

# The shared bulk sender (core/outbound/): a batch tick and the sweep that recovers the
# rows of dead workers from the database within minutes (never the broker's visibility timeout).
OUTBOUND_TICK_SECONDS = env.float("OUTBOUND_TICK_SECONDS", default=15.0)
OUTBOUND_BATCH_SECONDS = env.float("OUTBOUND_BATCH_SECONDS", default=60.0)
# A dead worker's rows come back at the next sweep once its process stops answering Celery's
# broadcast; a `sending` row older than OUTBOUND_STALE_SECONDS comes back in any case.
OUTBOUND_SWEEP_SECONDS = env.float("OUTBOUND_SWEEP_SECONDS", default=30.0)
OUTBOUND_STALE_SECONDS = env.float("OUTBOUND_STALE_SECONDS", default=180.0)
# A live worker's batch runs for up to OUTBOUND_BATCH_SECONDS (plus the message in flight); a stale
# time at or below that would let the sweep take a slow live batch for a dead one and send its
# rows twice. Refused at start, like a missing secret, rather than found in a double mailing.
if OUTBOUND_STALE_SECONDS <= OUTBOUND_BATCH_SECONDS * 1.5:
    raise ImproperlyConfigured(
        f"OUTBOUND_STALE_SECONDS ({OUTBOUND_STALE_SECONDS:g}) must be more than one and a half "
        f"times OUTBOUND_BATCH_SECONDS ({OUTBOUND_BATCH_SECONDS:g}): a slow batch of a live "
        "worker would otherwise be taken for a dead one and its messages sent twice."
    )
# A campaign still "preparing" (its rows being created in chunks) that no chunk touched for this
# long lost its worker: the sweep enqueues its next chunk. A chunk takes about a second.
OUTBOUND_PREPARE_STALE_SECONDS = env.float("OUTBOUND_PREPARE_STALE_SECONDS", default=120.0)
# The message maybe in flight when a worker died waits for the ESP's webhook only where one will
# come: an anymail ESP (not its test or console backends). Over plain SMTP it is sent again at
# once. Set it to true for an ESP's SMTP relay whose webhooks point here.
OUTBOUND_AWAIT_WEBHOOKS = env.bool(
    "OUTBOUND_AWAIT_WEBHOOKS", default=ANYMAIL_ESP not in ("", "test", "console")
)
# Counted from the claim: at the defaults a dead worker's last row is back within 4.5 minutes.
OUTBOUND_UNCERTAIN_SECONDS = env.float("OUTBOUND_UNCERTAIN_SECONDS", default=240.0)
# Each `sent` mark commits without waiting for its WAL flush (see `_fast_commits` in
# core/outbound/sending.py): a worker then marks thousands a second. Only a crash of PostgreSQL
# itself could forget the last fraction of a second of marks; set false to wait for every flush.
OUTBOUND_ASYNC_COMMIT = env.bool("OUTBOUND_ASYNC_COMMIT", default=True)
# Recipients per ESP batch call (core.outbound.batching): unset, each ESP's most (Postmark 500,
# Mailgun 1,000...); 0 or 1 sends one message per call.
OUTBOUND_ESP_BATCH_SIZE = env.int("OUTBOUND_ESP_BATCH_SIZE", default=None)
# A batch checks that its campaign still sends and marks rows `sent` once per group of this many
# messages, not per message: a pause stops a batch within one group, and a worker killed mid-send
# leaves at most one group's messages uncertain (see `core.outbound.sending`). 1 is per message.
OUTBOUND_SEND_GROUP = env.int("OUTBOUND_SEND_GROUP", default=20)
# Backend connections each worker process keeps busy at once (threads, one connection each),
# so that one slow SMTP round trip does not idle the process.
OUTBOUND_CONNECTIONS = env.int("OUTBOUND_CONNECTIONS", default=4)
# Batch chains started for every campaign: one per process of the bulk worker (`--concurrency`).
OUTBOUND_PARALLEL_BATCHES = env.int("OUTBOUND_PARALLEL_BATCHES", default=2)
OUTBOUND_MIN_SAMPLE = env.int("OUTBOUND_MIN_SAMPLE", default=100)
# Smaller campaigns are judged on their rates once they have this many bounces (complaints).
OUTBOUND_MIN_BOUNCES = env.int("OUTBOUND_MIN_BOUNCES", default=5)
OUTBOUND_MIN_COMPLAINTS = env.int("OUTBOUND_MIN_COMPLAINTS", default=2)
CELERY_BEAT_SCHEDULE["outbound-tick"] = {
    "task": "norec_network.outbound_tick",
    "schedule": OUTBOUND_TICK_SECONDS,
    "options": {"expires": OUTBOUND_TICK_SECONDS},
}
CELERY_BEAT_SCHEDULE["outbound-sweep"] = {
    "task": "norec_network.outbound_sweep",
    "schedule": OUTBOUND_SWEEP_SECONDS,
    "options": {"expires": max(OUTBOUND_SWEEP_SECONDS, 60.0)},
}
# "Send again to people who have not accepted" leaves out anyone mailed (invitation or reminder)
# fewer than this many days ago.
INVITATION_RESEND_MIN_DAYS = env.int("INVITATION_RESEND_MIN_DAYS", default=7)
# A direct invitation (one participant, outside a wave) is valid this many days, with its reminder
# after this many; a wave has its own, set on the wave.
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=30)
INVITATION_REMINDER_DAYS = env.int("INVITATION_REMINDER_DAYS", default=10)

CELERY_BEAT_SCHEDULE["invitations-remind"] = {
    "task": "invitations.invitation_remind_due",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["invitations-expire"] = {
    "task": "invitations.invitation_expire_due",
    "schedule": 3600.0,
}
# Community: the daily digest each morning, the weekly one on Mondays (CELERY_TIMEZONE is Oslo's;
# the task decides which are due, and running it twice sends nothing twice).
CELERY_BEAT_SCHEDULE["community-digests"] = {
    "task": "community.digests_start_due",
    "schedule": crontab(hour=6, minute=0),
}

# --- Request limits ---------------------------------------------------------------------------
# core/request_guard.py refuses a larger body from its Content-Length, before reading it.
# Outside the back office nothing takes a file: forms are text and ESP webhooks a few kilobytes,
# so Django's own cap on form data (also applied when a webhook reads its body) caps the body.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB, Django's default, stated because it is relied on
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000  # an admin page of 100 rows with checkboxes stays well under
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger uploads are spooled to a temporary file
# The back office takes the roster (up to 20 MB, members/roster_import/) and activity materials.
# The proxy in front must allow this much too (nginx: client_max_body_size 21m).
ADMIN_REQUEST_MAX_BYTES = env.int("ADMIN_REQUEST_MAX_BYTES", default=21 * 1024 * 1024)

# --- Security ---------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
# A form that fails the CSRF check gets a page that explains and keeps what was typed.
CSRF_FAILURE_VIEW = "core.errors.csrf_failure_view"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging ----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"redact_secrets": {"()": "core.log_redaction.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # It logs the path of failed requests ("Not Found: /invitations/accept/..."): a filter on
        # the logger reaches every handler, Django's own included.
        "django.request": {"filters": ["redact_secrets"]},
    },
}
