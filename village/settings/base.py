"""Settings shared by every environment; dev/test/production refine them."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE as CSP_NONCE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "village",
    "deliberation",
    "points",
    "pages",
    "grid",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "simple_history",
    "axes",
    # Serves the API docs' Swagger UI from our own static files; without it ninja loads the
    # page's scripts and styles from cdn.jsdelivr.net.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (village/csp.py).
    "village.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "village.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # A write that met a locked database answers 503 + Retry-After, not a 500.
    "village.middleware.DatabaseBusyMiddleware",
    # Last, so a lock-out response wins over whatever the view returned.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "village.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "village.extensions.nav",
            ],
        },
    },
]

WSGI_APPLICATION = "village.wsgi.application"

# SQLite by default (zero set-up); DATABASE_URL switches, e.g. to PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        # With DB_CONN_MAX_AGE > 0, a connection the server dropped is replaced, not a 500.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite = DATABASES["default"].setdefault("OPTIONS", {})
    # Wait for a concurrent writer instead of failing at once.
    _sqlite.setdefault("timeout", 20)
    # Every transaction takes the write lock at BEGIN, so it waits (up to the timeout) for the
    # writer ahead; one that read first and wrote later could not upgrade under WAL and would
    # fail at once with "database is locked", whatever the timeout.
    _sqlite.setdefault("transaction_mode", "IMMEDIATE")
    # WAL: readers never wait for the writer. synchronous=FULL keeps it durable across a power
    # cut: a vote whose receipt was shown is on disk (NORMAL could lose the last commits).
    # In-memory test databases answer "memory" to the first pragma and ignore it.
    _sqlite.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any backend runs.
    "axes.backends.AxesStandaloneBackend",
    "village.auth.PhoneOrUsernameBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "village:login"
LOGIN_REDIRECT_URL = "todo:home"
LOGOUT_REDIRECT_URL = "village:home"

# Lock-out after 5 failed logins for the same account from the same address.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "village.auth.lockout_response"
# Count a phone number and the username of the same account as one login.
AXES_USERNAME_CALLABLE = "village.auth.axes_username"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "village" / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
# Uploaded files: on this machine's disk (one village), or on an S3-compatible bucket when
# CUNZHI_S3_BUCKET is set (a county); the keys come from AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY. Either way every file URL goes through village/media.py, which serves
# public images at once and private files only after the permission check (docs/deployment.md).
CUNZHI_S3_BUCKET = os.environ.get("CUNZHI_S3_BUCKET", "")
CUNZHI_S3_ENDPOINT_URL = os.environ.get("CUNZHI_S3_ENDPOINT_URL", "")
CUNZHI_S3_PUBLIC_DOMAIN = os.environ.get("CUNZHI_S3_PUBLIC_DOMAIN", "")
if CUNZHI_S3_BUCKET:
    MEDIA_STORAGE = {
        "BACKEND": "village.storage.S3MediaStorage",
        "OPTIONS": {
            "bucket_name": CUNZHI_S3_BUCKET,
            "endpoint_url": CUNZHI_S3_ENDPOINT_URL or None,
            "region_name": os.environ.get("CUNZHI_S3_REGION") or None,
            "addressing_style": os.environ.get("CUNZHI_S3_ADDRESSING_STYLE") or None,
            "location": os.environ.get("CUNZHI_S3_PREFIX", ""),
            "custom_domain": CUNZHI_S3_PUBLIC_DOMAIN or None,
            # Two households' "photo.jpg" must never overwrite each other.
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Served to anyone: the village sites' images (and the admin users' avatars, as Wagtail shows
# them). Every other upload is private (village/media.py).
CUNZHI_PUBLIC_MEDIA_PREFIXES = ["original_images/", "images/", "avatar_images/"]
# How long a signed S3 link to a private file lives, once the check has passed.
CUNZHI_MEDIA_URL_SECONDS = int(os.environ.get("CUNZHI_MEDIA_URL_SECONDS", "60"))
# Behind nginx: the checked file is sent by nginx from this internal location (docs/deployment.md).
CUNZHI_MEDIA_ACCEL_REDIRECT = os.environ.get("CUNZHI_MEDIA_ACCEL_REDIRECT", "")

# Wagtail
WAGTAIL_SITE_NAME = "村治"
WAGTAILADMIN_USER_LOGIN_FORM = "village.forms.AdminLoginForm"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# The address printed under each document's QR code (the public verification page).
CUNZHI_PUBLIC_URL = os.environ.get("CUNZHI_PUBLIC_URL", WAGTAILADMIN_BASE_URL)
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Nothing may be loaded from another host (poor connections, many hosts unreachable).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "xlsx", "docx", "jpg", "png"]
# Documents always through Wagtail's view (its collection privacy), never a bare file URL.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# The cache holds the village sites' rendered fragments and their generations (pages/fragments.py):
# it must be shared by every process that serves or writes — the web server, the task worker,
# management commands. Redis when REDIS_URL is set (production), else files on this machine.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            # Django's, with one client per connection pool (village/redis_cache.py).
            "BACKEND": "village.redis_cache.Cache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("CUNZHI_CACHE_DIR", str(BASE_DIR / "var" / "cache")),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The integrity key (village/keys.py): seals each audit chain's head and the secret ballot box.
# It must live outside the database — from the environment; production refuses to start without
# it, development generates one into var/audit.key. Retired keys stay listed to verify old seals.
CUNZHI_AUDIT_KEY = os.environ.get("CUNZHI_AUDIT_KEY", "")
CUNZHI_AUDIT_OLD_KEYS = [
    k.strip() for k in os.environ.get("CUNZHI_AUDIT_OLD_KEYS", "").split(",") if k.strip()
]

CUNZHI_ACTIVATION_CODE_DAYS = 14
CUNZHI_API_TOKEN_NAME = "cunzhi-app"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"axes": {"handlers": ["console"], "level": "WARNING"}},
}

# Uploads: JPEG/PNG/WebP only, ≤ 10 MB, ≤ 40 megapixels (Wagtail checks the header first).
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000

# Content-Security-Policy (django-csp; Django has its own only from 6.0). Nothing from another
# host but the S3 bucket's images; scripts and styles from here or carrying the response's
# nonce; the Wagtail admin's one exception is in village/csp.py.
_csp_media = ["'self'", "data:", "blob:"]
if CUNZHI_S3_BUCKET:
    from urllib.parse import urlsplit as _urlsplit

    if CUNZHI_S3_ENDPOINT_URL:
        _endpoint = _urlsplit(CUNZHI_S3_ENDPOINT_URL)
        _csp_media += [
            f"{_endpoint.scheme}://{_endpoint.netloc}",
            f"{_endpoint.scheme}://{CUNZHI_S3_BUCKET}.{_endpoint.netloc}",
        ]
    else:
        _csp_media.append("https://*.amazonaws.com")
    if CUNZHI_S3_PUBLIC_DOMAIN:
        _csp_media.append(f"https://{CUNZHI_S3_PUBLIC_DOMAIN}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", CSP_NONCE],
        "style-src": ["'self'", CSP_NONCE],
        "img-src": _csp_media,
        "media-src": _csp_media,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        # Wagtail's preview shows the page in a frame of the admin; no other site may frame us.
        "frame-ancestors": ["'self'"],
    }
}

# --- the outbox's channels (village/channels/): each chosen here, secrets from the environment
# SMS: "console" (prints), "file" (appends to CUNZHI_SMS_FILE) or "aliyun" (Dysmsapi SendSms).
CUNZHI_SMS_BACKEND = os.environ.get("CUNZHI_SMS_BACKEND", "console")
CUNZHI_SMS = {
    "FILE": os.environ.get("CUNZHI_SMS_FILE", str(BASE_DIR / "var" / "sms.log")),
    "ENDPOINT": os.environ.get("CUNZHI_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
    "ACCESS_KEY_ID": os.environ.get("CUNZHI_SMS_ACCESS_KEY_ID", ""),
    "ACCESS_KEY_SECRET": os.environ.get("CUNZHI_SMS_ACCESS_KEY_SECRET", ""),
    "SIGN_NAME": os.environ.get("CUNZHI_SMS_SIGN_NAME", "村治"),
    # The approved template, e.g. "${village}通知：${title}。详情请登录村治或问网格员。"
    "TEMPLATE_CODE": os.environ.get("CUNZHI_SMS_TEMPLATE_CODE", ""),
    "TIMEOUT": float(os.environ.get("CUNZHI_SMS_TIMEOUT", "10")),
}
# Web Push: VAPID keys (base64url, as `vapid --gen` writes them); no key, no push.
CUNZHI_PUSH_BACKEND = os.environ.get("CUNZHI_PUSH_BACKEND", "webpush")
CUNZHI_VAPID_PUBLIC_KEY = os.environ.get("CUNZHI_VAPID_PUBLIC_KEY", "")
CUNZHI_VAPID_PRIVATE_KEY = os.environ.get("CUNZHI_VAPID_PRIVATE_KEY", "")
CUNZHI_VAPID_SUBJECT = os.environ.get("CUNZHI_VAPID_SUBJECT", "mailto:admin@localhost")
CUNZHI_PUSH_TIMEOUT = float(os.environ.get("CUNZHI_PUSH_TIMEOUT", "10"))
# Push endpoints over plain http (a push service on this machine): tests and development only.
CUNZHI_PUSH_INSECURE_ENDPOINTS = False
