"""The settings production changes about serving, read from village/settings/production.py
in a prepared environment, for tests that must run "under production settings"."""

import importlib
import sys

import pytest

# What production changes about serving (village/settings/production.py), minus what a test
# database cannot have (the manifest of collected static files, the environment's secrets).
PRODUCTION_KEYS = [
    "DEBUG",
    "MIDDLEWARE",
    "CONTENT_SECURITY_POLICY",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS",
    "MEDIA_URL",
    "CUNZHI_PUBLIC_MEDIA_PREFIXES",
    "CUNZHI_MEDIA_ACCEL_REDIRECT",
    "WAGTAILDOCS_SERVE_METHOD",
]


PRODUCTION = "village.settings.production"


def production_settings() -> dict:
    env = {
        "DJANGO_SECRET_KEY": "media-test-" + "x" * 50,
        "CUNZHI_AUDIT_KEY": "media-test-audit-key-0123456789abcdefghijklmnop",
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv("CUNZHI_S3_BUCKET", raising=False)
        mp.delenv("CUNZHI_MEDIA_ACCEL_REDIRECT", raising=False)
        # Read afresh from this environment: base too (it reads the audit key), then put back
        # the modules the running settings came from.
        saved = {m: sys.modules.pop(m, None) for m in ("village.settings.base", PRODUCTION)}
        try:
            production = importlib.import_module(PRODUCTION)
        finally:
            for module, was in saved.items():
                sys.modules.pop(module, None)
                if was is not None:
                    sys.modules[module] = was
    return {key: getattr(production, key) for key in PRODUCTION_KEYS}
