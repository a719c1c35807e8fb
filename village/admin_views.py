"""Admin screens that are not model listings: roster import/export, activation slips, audit."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from . import audit, permissions, services
from . import roster as roster_io
from .models import AuditEvent, Villager
from .permissions import Action

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


class RosterImportForm(forms.Form):
    village = forms.ModelChoiceField(queryset=None, label=gettext_lazy("村"))
    file = forms.FileField(
        label=gettext_lazy("花名册文件（.xlsx）"),
        # An empty file reaches the roster reader, whose message says what to do instead.
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        villages = permissions.visible_villages(user, Action.IMPORT_ROSTER)
        self.fields["village"].queryset = villages
        if villages.count() == 1:
            self.fields["village"].initial = villages.first()


@require_http_methods(["GET", "POST"])
def roster(request):
    permissions.require(request.user, Action.EXPORT_ROSTER)
    can_import = permissions.can(request.user, Action.IMPORT_ROSTER)
    form = RosterImportForm(request.POST or None, request.FILES or None, user=request.user)
    result = None
    file_error = None
    if request.method == "POST":
        if not can_import:
            permissions.require(request.user, Action.IMPORT_ROSTER)
        if form.is_valid():
            village = form.cleaned_data["village"]
            upload = form.cleaned_data["file"]
            if upload.size > roster_io.MAX_BYTES:
                file_error = _("文件超过 5 MB，请分批导入。")
            else:
                try:
                    result = roster_io.roster_import(
                        actor=request.user, village=village, data=upload.read()
                    )
                except roster_io.RosterFileError as exc:
                    file_error = str(exc)
                if result is not None and result.ok:
                    messages.success(
                        request,
                        _("已导入 %(n)d 名村民（新建 %(h)d 户）。")
                        % {"n": result.created, "h": result.households_created},
                    )
                    return redirect("village_roster")
    refused = request.method == "POST" and not form.is_valid()
    status = 400 if (refused or file_error or (result and not result.ok)) else 200
    return TemplateResponse(
        request,
        "village/admin/roster.html",
        {
            "form": form,
            "can_import": can_import,
            "result": result,
            "file_error": file_error,
            "columns": roster_io.COLUMNS,
            "villages": permissions.visible_villages(request.user, Action.EXPORT_ROSTER),
        },
        status=status,
    )


def roster_template(request):
    permissions.require(request.user, Action.EXPORT_ROSTER)
    return _xlsx(roster_io.template_workbook(), "roster-template.xlsx")


def roster_export(request, village_id):
    village = get_object_or_404(
        permissions.visible_villages(request.user, Action.EXPORT_ROSTER), pk=village_id
    )
    return _xlsx(
        roster_io.roster_export(user=request.user, village=village), f"roster-{village.code}.xlsx"
    )


@require_http_methods(["GET", "POST"])
def activation_issue(request, villager_id):
    villager = get_object_or_404(
        permissions.scope(request.user, Action.VIEW_ROSTER, Villager.objects.all()).select_related(
            "village", "household"
        ),
        pk=villager_id,
    )
    permissions.require(request.user, Action.ISSUE_ACTIVATION, villager)
    context = {"villager": villager, "code": None, "error": None}
    if request.method == "POST":
        try:
            row, code = services.activation_code_issue(actor=request.user, villager=villager)
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
        else:
            context.update(
                code=code, row=row, activate_url=request.build_absolute_uri("/activate/")
            )
    return TemplateResponse(request, "village/admin/activation.html", context)


def audit_overview(request):
    permissions.require(request.user, Action.VIEW_AUDIT)
    rows = []
    for village in permissions.visible_villages(request.user, Action.VIEW_AUDIT):
        key = audit.chain_key(village=village)
        problem = audit.verify_chain(key)
        head = audit.head_of(village)
        rows.append({"village": village, "problem": problem, "head": head})
    recent = permissions.scope(request.user, Action.VIEW_AUDIT, AuditEvent.objects.all()).order_by(
        "-created_at", "-seq"
    )[:50]
    return TemplateResponse(request, "village/admin/audit.html", {"rows": rows, "recent": recent})
