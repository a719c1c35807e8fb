from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from village.api_me import household_changes_held
from village.demo import MAIN, PASSWORD, one_password_hash
from village.demo.builder import DemoBuilder
from village.demo.cache import writes_held
from village.demo.references import references_indexed_once
from village.models import Village

ADDRESS = "http://127.0.0.1:8000/"

# The demo logins by role, as README.md's table lists them.
LOGINS = [
    ("secretary", gettext_lazy("村党支部书记（一肩挑）")),
    ("committee", gettext_lazy("村委委员")),
    ("gridofficer", gettext_lazy("三片区网格员")),
    ("supervisor", gettext_lazy("村务监督委员")),
    ("inspector", gettext_lazy("乡镇巡查（只读）")),
    ("township", gettext_lazy("乡镇管理员")),
    ("storekeeper", gettext_lazy("积分超市管理员")),
    ("villager", gettext_lazy("村民（手机号 13800000001）")),
    ("13800000002 … 13800000020", gettext_lazy("另外十九位村民")),
]


def logins_block() -> str:
    """What `make run` shows before the server starts: where to go and who to be."""
    width = max(len(login) for login, _who in LOGINS)
    lines = [
        "",
        _("村治演示：%(address)s") % {"address": ADDRESS},
        _("管理后台：%(address)sadmin/") % {"address": ADDRESS},
        _("演示账号（密码均为 %(password)s）：") % {"password": PASSWORD},
        *(f"  {login.ljust(width)}  {who}" for login, who in LOGINS),
        "",
    ]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Load the demo township (东毛铺村 and 西河村) with its demo accounts; idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (never in production)"
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo refuses to run with DEBUG off; pass --force if you mean it"
            )
        if Village.objects.filter(code=MAIN.code).exists():
            self.stdout.write("demo already loaded; nothing to do")
        else:
            self.stdout.write("loading the demo township…")
            builder = DemoBuilder(stdout=self.stdout)
            with (
                one_password_hash(),
                writes_held(),
                references_indexed_once(),
                household_changes_held(),
            ):
                builder.build()
            builder.finish()
            self.stdout.write(
                self.style.SUCCESS(f"demo loaded; accounts use the password {PASSWORD}")
            )
        self.stdout.write(logins_block())
