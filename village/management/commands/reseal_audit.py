from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from village import audit
from village.models import AuditHead


class Command(BaseCommand):
    help = (
        "Key rotation: verify every chain (heads sealed with a retired key listed in "
        "CUNZHI_AUDIT_OLD_KEYS still verify), then seal every head again with the current key. "
        "Refuses to reseal anything while a chain is broken."
    )

    def handle(self, *args, **options):
        problems = audit.verify_all()
        if problems:
            for problem in problems:
                self.stderr.write(f"BAD {problem}")
            raise CommandError("a chain is broken: nothing resealed (run verify_audit)")
        with transaction.atomic():
            heads = list(AuditHead.objects.select_for_update().order_by("chain"))
            for head in heads:
                key_id, seal = audit.seal_head(head.chain, head.seq, head.hash, head.anchored_seq)
                AuditHead.objects.filter(pk=head.pk).update(seal=seal, key_id=key_id)
        self.stdout.write(self.style.SUCCESS(f"resealed {len(heads)} chain head(s)"))
