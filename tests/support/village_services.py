"""Helpers of the village core's service tests (tests/village/test_services_*.py): the rows a
service may write, a check that a refused call writes nothing, the audit events of an action, and
the fields of a new villager.

Those tests use the township world of tests/conftest.py plus ``villager`` (phone 13912345678, no
account), ``other_secretary`` (of the neighbour village) and ``root``, built once for the module
(``shared_township`` in tests/village/conftest.py).
"""

from contextlib import contextmanager
from datetime import date

from django.apps import apps
from django.contrib.auth import get_user_model

from tests.factories import HouseholdFactory, make_id_number
from village.models import AuditEvent

User = get_user_model()
NEW_PASSWORD = "Qingshan-2026"
TERM = date(2021, 3, 1)


def row_counts() -> dict[str, int]:
    """Rows of every table a service may write: the core, its history, users and logs."""
    models = list(apps.get_app_config("village").get_models())
    models += [User, apps.get_model("wagtailcore", "ModelLogEntry")]
    return {m._meta.label: m._default_manager.count() for m in models}


@contextmanager
def writes_nothing():
    before = row_counts()
    yield
    after = row_counts()
    assert {k: v for k, v in after.items() if before[k] != v} == {}


def events(action: str):
    return AuditEvent.objects.filter(action=action).order_by("chain", "seq")


def villager_fields(shared_township, **overrides):
    birth = date(1990, 8, 8)
    fields = {
        "household": HouseholdFactory(village=shared_township["own"], area=shared_township["area"]),
        "name": "王秀英",
        "id_number": make_id_number(birth, male=False),
        "birth_date": birth,
        "gender": "f",
        "phone": "13911112222",
        "relation_to_head": "户主",
    }
    fields.update(overrides)
    return fields
