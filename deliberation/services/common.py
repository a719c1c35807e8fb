"""What every write of the procedure shares: locking the matter, recording the event,
a receipt code, and "the registered villager of this village" acting."""

import secrets

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from village import audit, permissions
from village.models import Villager, VillagerStatus

from ..models import Matter, MatterVersion

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

MINUTES_REQUIRED = gettext_lazy(
    "请填写会议纪要：会议记录须连同纪要一起保存（照会议记录本填写讨论情况和表决结果）。"
)


def lock_matter(*, matter: Matter) -> Matter:
    """The matter's row, locked for the rest of the transaction, with its village."""
    return (
        Matter.objects.select_for_update(of=("self",)).select_related("village").get(pk=matter.pk)
    )


def record(*, actor, action: str, obj, payload: dict, matter: Matter) -> None:
    """Write the event into the matter's village chain (and Wagtail's log)."""
    audit.record(actor=actor, action=action, obj=obj, payload=payload, village=matter.village)


def new_receipt() -> str:
    """A fresh receipt code of ten characters nobody confuses (no 0/O, 1/I/L)."""
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(10))


def registered_villager(*, user, village) -> Villager:
    """The user's villager record if it is a registered villager of `village`; refused otherwise."""
    villager = permissions.villager_of(user)
    if villager is None or villager.village_id != village.pk:
        raise PermissionDenied(_("您不是本村村民，不能进行此操作。"))
    if villager.status != VillagerStatus.REGISTERED:
        raise PermissionDenied(_("您的户籍状态不是在册，不能进行此操作。"))
    return villager


def villager_in_name(*, user, village) -> tuple[Villager, object]:
    """`registered_villager` for an act a 亲情账号 may do in its household's name (an
    objection, 说事): the villager acted for and the binding, or the villager and None."""
    villager, proxy = permissions.in_name_of(user, village)
    if villager is None:
        raise PermissionDenied(_("您不是本村村民，不能进行此操作。"))
    if villager.status != VillagerStatus.REGISTERED:
        raise PermissionDenied(_("您的户籍状态不是在册，不能进行此操作。"))
    return villager, proxy


def current_version(*, matter: Matter) -> MatterVersion:
    """The matter's version being deliberated now."""
    return matter.versions.get(number=matter.version)
