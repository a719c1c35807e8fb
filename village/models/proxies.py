"""亲情账号: a family proxy bound to a household by the secretary, with an end date.

A son or daughter working in the city reads the household's notices, matters and points,
confirms reading and files objections and 说事 in the household's name — never votes, never
sees another household. The binding is never deleted: it is ended (by the secretary or the
head of household) or runs out on its end date; every act through it names it in the chain.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roster import Household
from .tenancy import Village


class ProxyQuerySet(models.QuerySet):
    def active_on(self, day):
        """Bindings in force on `day`: started, not past their end date, not ended."""
        return self.filter(starts_on__lte=day, ends_on__gte=day, ended_at__isnull=True)


class HouseholdProxy(models.Model):
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="proxies", verbose_name=_("户")
    )
    # Set when the account exists; a new phone's account is made when its code is used.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proxy_bindings",
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=11)
    relation = models.CharField(_("与户主关系"), max_length=20)
    starts_on = models.DateField(_("起始日期"), default=timezone.localdate)
    ends_on = models.DateField(_("截止日期"))
    bound_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    bound_at = models.DateTimeField(default=timezone.now)
    # A one-time code for a phone with no account yet: only its digest, as activation codes.
    code_hash = models.CharField(max_length=64, blank=True, db_index=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)

    objects = ProxyQuerySet.as_manager()

    class Meta:
        verbose_name = _("亲情账号")
        verbose_name_plural = _("亲情账号")
        ordering = ["-bound_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="proxy_ends_after_start"
            ),
            # One household per phone (the account's login) while not ended: two secretaries
            # binding one phone at once cannot both succeed. A binding past its end date is
            # ended by the next binding of its phone (`proxy_bind`).
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(ended_at__isnull=True),
                name="proxy_one_household_per_phone",
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.relation}）"

    def is_active(self, day=None) -> bool:
        day = day or timezone.localdate()
        return self.ended_at is None and self.starts_on <= day <= self.ends_on


def proxy_field():
    """The field of a row a 亲情账号 may write in a household's name (a read receipt, an
    objection, 说事, an answer): set when a proxy acted, the row's villager then being the
    household's head."""
    return models.ForeignKey(
        HouseholdProxy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("亲情账号"),
    )
