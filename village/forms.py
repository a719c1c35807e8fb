"""The Wagtail admin login: labelled in the interface language, phone numbers accepted."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm


class AdminLoginForm(LoginForm):
    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("手机号或用户名")
        self.fields["username"].widget.attrs["placeholder"] = _("手机号或用户名")
        self.fields["password"].label = _("密码")
