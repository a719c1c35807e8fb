from django.core.management.base import BaseCommand, CommandError

from village import audit, documents, extensions


class Command(BaseCommand):
    help = (
        "Recompute every audit chain (links, hashes, sealed heads, township anchors, heads "
        "printed on documents) and recount every vote; exit non-zero naming each problem. "
        "--against CODE checks the chain against the head printed on that issued document."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--against",
            metavar="CODE",
            help="the verification code of an issued document whose printed head to check",
        )
        parser.add_argument(
            "--head",
            metavar="SEQ:HASH",
            help="with --against: the head as printed on the paper (链头第 SEQ 条 and its hash); "
            "without it, the copy stored with the document is used",
        )

    def handle(self, *args, **options):
        if options["against"]:
            self._against(options["against"], options["head"])
        problems = [str(p) for p in audit.verify_all()]
        recounted = extensions.recount_problems()
        for problem in problems:
            self.stderr.write(f"BAD {problem}")
        for problem in recounted:
            self.stderr.write(f"RECOUNT {problem}")
        if problems or recounted:
            raise CommandError(
                f"audit chain broken in {len(problems)} chain(s); "
                f"{len(recounted)} recount problem(s)"
            )
        chains = audit.AuditHead.objects.count()
        self.stdout.write(
            self.style.SUCCESS(f"audit chain intact ({chains} chains); every vote recounts")
        )

    def _against(self, code: str, printed: str | None) -> None:
        document = documents.find(code)
        if document is None:
            raise CommandError(f"no issued document with the code {code!r}")
        seq = hash_ = None
        if printed:
            try:
                seq_text, hash_ = printed.split(":", 1)
                seq = int(seq_text)
            except ValueError as exc:
                raise CommandError("--head must be SEQ:HASH, e.g. 42:9f86d08…") from exc
        problem = audit.verify_against(document, seq=seq, hash_=(hash_ or "").strip().lower())
        if problem:
            self.stderr.write(f"BAD {problem}")
            raise CommandError(
                f"the chain of {document.village} does not hold the head printed on "
                f"document {document.code} (seq {document.audit_seq})"
            )
        self.stdout.write(
            f"document {document.code}: the chain of {document.village} still holds the printed "
            f"head (seq {document.audit_seq}, {document.audit_hash[:16]}…)"
        )
