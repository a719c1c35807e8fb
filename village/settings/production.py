"""Production: every secret from the environment; passes `manage.py check --deploy`."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
if len(CUNZHI_AUDIT_KEY) < 32:  # noqa: F405
    raise ImproperlyConfigured(
        "CUNZHI_AUDIT_KEY is not set (or shorter than 32 characters). It seals the audit chain "
        "and the secret ballot box and must be kept outside the database: generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, keep it in the "
        "server's environment and in a safe place apart from the database backups "
        "(docs/core.md, Key rotation)."
    )
# Persistent database connections unless the environment says otherwise: opening one costs a
# request more than everything else it does. A connection the server dropped is replaced
# (conn_health_checks in base.py), not a 500.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "60"))  # noqa: F405
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": MEDIA_STORAGE,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
