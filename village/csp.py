"""The Content-Security-Policy (settings.CONTENT_SECURITY_POLICY), with the one exception the
Wagtail admin needs.

The village sites, the villagers' pages and the API docs run under the strict policy: scripts
and styles from this host or carrying the response's nonce, nothing inline, nothing from
another host. Wagtail 8's admin still writes a few scripts inline without a nonce (date pickers,
choosers, inline panels) and style attributes in its templates, so under /admin/ scripts and
styles may also be inline; every other directive (no other host, no eval, no plugins, no
framing by other sites, forms post here) holds there too.

Most responses (the API's answers, redirects, pages without a script) take no nonce and no
per-view change: their policy is the settings' own, built once per process and per side (admin
or not) instead of on every request; a changed setting builds it again.
"""

import functools
from http import HTTPStatus

from csp.constants import HEADER, HEADER_REPORT_ONLY, SELF, UNSAFE_INLINE
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse

ADMIN_REPLACE = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
}
# What a view's decorator (@csp_update, @csp_replace, @csp_exempt, …) leaves on its response.
_VIEW_CHANGES = ("_csp_config", "_csp_update", "_csp_replace")
_SETTINGS = {"CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY", "ROOT_URLCONF"}


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if request.path_info.startswith(_admin_prefix()):
            parts.replace = {**(parts.replace or {}), **ADMIN_REPLACE}
            # A nonce would switch 'unsafe-inline' off in the browser.
            parts.nonce = None
        return parts

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) or hasattr(response, f"{name}_ro") for name in _VIEW_CHANGES
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (
            HTTPStatus.INTERNAL_SERVER_ERROR,
            HTTPStatus.NOT_FOUND,
        ):
            return response
        admin = request.path_info.startswith(_admin_prefix())
        for header, exempt, report_only in (
            (HEADER, "_csp_exempt", False),
            (HEADER_REPORT_ONLY, "_csp_exempt_ro", True),
        ):
            policy, excluded = _settings_policy(admin, report_only)
            if (
                policy
                and header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(excluded)
            ):
                response[header] = policy
        # As the base class: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@functools.cache
def _admin_prefix() -> str:
    return reverse("wagtailadmin_home")


@functools.cache
def _settings_policy(admin: bool, report_only: bool) -> tuple[str, tuple[str, ...]]:
    """(the policy without a nonce, the URL prefixes it is not sent under) as the settings
    give them, for the admin or the rest."""
    policy = build_policy(replace=ADMIN_REPLACE if admin else None, report_only=report_only)
    name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
    excluded = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
    return policy, tuple(excluded)


@receiver(setting_changed)
def _settings_changed(*, setting, **kwargs):
    if setting in _SETTINGS:
        _admin_prefix.cache_clear()
        _settings_policy.cache_clear()
