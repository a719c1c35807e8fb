"""The procedure's documents: the resolution, the record of each meeting, and a matter's full
audit trail — rendered and registered by village.documents, so each is sealed and verifiable."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from village import documents, permissions
from village.models import DocumentKind

from . import selectors
from .models import Matter, MatterStatus, Meeting
from .permissions import DeliberationAction
from .trail import matter_trail


def _context(matter: Matter) -> dict:
    trail = matter_trail(matter)
    return {"matter": matter, "trail": trail, "meetings": trail["meetings"]}


@documents.in_chinese
def resolution(*, actor, matter: Matter, reissue_reason: str | None = None):
    """决议: the matter, every meeting with attendance and tally, and the result. Printed again
    with nothing changed, the resolution already issued; `reissue_reason` issues a new one."""
    permissions.require(actor, DeliberationAction.MATTER_VIEW, matter.village)
    if not any(m.step == 4 and m.passed is not None for m in matter.meetings.all()):
        raise PermissionDenied(_("该议题还没有表决结果，不能打印决议。"))
    return documents.issue(
        actor=actor,
        village=matter.village,
        kind=DocumentKind.RESOLUTION,
        title=_("%(title)s 决议") % {"title": matter.title},
        subject=matter,
        template="deliberation/print/resolution.html",
        context={
            **_context(matter),
            "adopted": matter.status not in (MatterStatus.RETURNED, MatterStatus.WITHDRAWN),
        },
        reissue_reason=reissue_reason,
    )


@documents.in_chinese
def meeting_record(*, actor, meeting: Meeting, reissue_reason: str | None = None):
    """会议记录 of one step: who should attend, who came (and which household each represents),
    the tally, the verdict with its rule and source, the minutes."""
    matter = meeting.matter
    permissions.require(actor, DeliberationAction.MATTER_VIEW, matter.village)
    attendance = selectors.attendance_of(meeting, order_by=("villager__name", "villager_id"))
    return documents.issue(
        actor=actor,
        village=matter.village,
        kind=DocumentKind.MEETING_RECORD,
        title=_("%(title)s %(step)s会议记录")
        % {"title": matter.title, "step": meeting.get_step_display()},
        subject=meeting,
        template="deliberation/print/meeting.html",
        context={"matter": matter, "meeting": meeting, "attendance": attendance},
        reissue_reason=reissue_reason,
    )


@documents.in_chinese
def audit_trail(*, actor, matter: Matter, reissue_reason: str | None = None):
    """议题审计记录: compliance flags, meetings, publications and every audit event."""
    if not (
        permissions.can(actor, DeliberationAction.MATTER_VIEW, matter.village)
        and permissions.can(actor, permissions.Action.VIEW_AUDIT, matter.village)
    ):
        raise PermissionDenied(_("只有本村干部、监督委员会和乡镇巡查可以查看审计记录。"))
    return documents.issue(
        actor=actor,
        village=matter.village,
        kind=DocumentKind.AUDIT_TRAIL,
        title=_("%(title)s 审计记录") % {"title": matter.title},
        subject=matter,
        template="deliberation/print/audit.html",
        context=_context(matter),
        reissue_reason=reissue_reason,
    )
