"""The append-only, hash-chained audit log and the head of each chain."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .tenancy import Township, Village

# ---------------------------------------------------------------------------
# Audit chain
# ---------------------------------------------------------------------------


class AuditEvent(models.Model):
    """One row of an append-only, hash-chained log. `chain` is "v<village id>" for a village's
    events and "t<township id>" for township-level ones. Database triggers refuse UPDATE and
    DELETE; `verify_audit` recomputes every hash."""

    chain = models.CharField(max_length=20)
    seq = models.PositiveBigIntegerField()
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, related_name="audit_events"
    )
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200, blank=True)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_unique_seq"),
        ]

    def __str__(self):
        return f"{self.chain}#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("audit events are append-only")


class AuditHead(models.Model):
    """The last sequence number and hash of each chain: the row locked while appending, and
    the witness that catches a deleted tail. `seal` is an HMAC of (chain, seq, hash) under the
    integrity key kept outside the database (village/keys.py), so a head rewound or rewritten
    with database access alone no longer matches its seal; database triggers refuse to move a
    head backwards or delete it. `anchored_at`/`anchored_seq`: when and at which seq the head
    was last written into the township's chain (sealed with the head)."""

    chain = models.CharField(max_length=20, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    seal = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=12, blank=True)
    anchored_at = models.DateTimeField(null=True, blank=True)
    anchored_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.chain}@{self.seq}"
