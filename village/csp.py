"""The Content-Security-Policy (settings.CONTENT_SECURITY_POLICY), with the one exception the
Wagtail admin needs.

The village sites, the villagers' pages and the API docs run under the strict policy: scripts
and styles from this host or carrying the response's nonce, nothing inline, nothing from
another host. Wagtail 8's admin still writes a few scripts inline without a nonce (date pickers,
choosers, inline panels) and style attributes in its templates, so under /admin/ scripts and
styles may also be inline; every other directive (no other host, no eval, no plugins, no
framing by other sites, forms post here) holds there too.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.urls import reverse

ADMIN_REPLACE = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
}


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if request.path_info.startswith(_admin_prefix()):
            parts.replace = {**(parts.replace or {}), **ADMIN_REPLACE}
            # A nonce would switch 'unsafe-inline' off in the browser.
            parts.nonce = None
        return parts


def _admin_prefix() -> str:
    return reverse("wagtailadmin_home")
