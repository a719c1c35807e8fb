from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillageConfig(AppConfig):
    name = "village"
    verbose_name = _("村庄")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import (
            api_me,
            checks,  # noqa: F401  (registers the system checks)
            permissions,
        )

        # A user's cached roles are read afresh after any change of the rows they come from.
        permissions.connect()
        # So is their kept `GET /api/v1/me` answer.
        api_me.connect()

        from . import extensions, party_views

        # 我的包联党员 on 我的户 (党建+N).
        extensions.register_me_section(party_views.me_section)
