import os

from village.keys import dev_key

from .base import *  # noqa: F403

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me"  # noqa: F405
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Generated once, git-ignored; production takes it from the environment (docs/core.md).
CUNZHI_AUDIT_KEY = CUNZHI_AUDIT_KEY or dev_key(BASE_DIR / "var" / "audit.key")  # noqa: F405
