import os

from village.keys import dev_key

from .base import *  # noqa: F403

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me"  # noqa: F405
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Generated once, git-ignored; production takes it from the environment (docs/core.md).
CUNZHI_AUDIT_KEY = CUNZHI_AUDIT_KEY or dev_key(BASE_DIR / "var" / "audit.key")  # noqa: F405

# Background tasks (django_tasks, `manage.py db_worker`) log each task at INFO and DEBUG: under
# `make run` hundreds of lines that bury the server's address and any traceback. Warnings and
# errors on the console; the whole log in var/tasks.log (git-ignored). db_worker sets its
# loggers' level from --verbosity, but adds no handler of its own when these exist.
(BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405
TASK_LOGGERS = ("django_tasks", "django_tasks_db")
LOGGING = {
    **LOGGING,  # noqa: F405
    "formatters": {
        **LOGGING.get("formatters", {}),  # noqa: F405
        "tasks": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        **LOGGING["handlers"],  # noqa: F405
        "tasks_console": {"class": "logging.StreamHandler", "level": "WARNING"},
        "tasks_file": {
            "class": "logging.FileHandler",
            "filename": str(BASE_DIR / "var" / "tasks.log"),  # noqa: F405
            "formatter": "tasks",
            "encoding": "utf-8",
            "delay": True,
        },
    },
    "loggers": {
        **LOGGING["loggers"],  # noqa: F405
        **{
            name: {"handlers": ["tasks_console", "tasks_file"], "level": "INFO", "propagate": False}
            for name in TASK_LOGGERS
        },
    },
}
CUNZHI_PUSH_INSECURE_ENDPOINTS = DEBUG
