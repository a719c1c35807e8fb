"""Production answers with a Content-Security-Policy: strict on the village sites and the
villagers' pages (nothing inline without the response's nonce, nothing from another host), the
one admin exception for Wagtail's own inline scripts, the rest as strict there too."""

import re

from django.http import HttpResponse
from django.template import engines
from django.test import RequestFactory, override_settings

from tests.factories import VillageFactory, villager_with_role
from village.csp import CSPMiddleware


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_public_pages_carry_the_strict_policy(db, client, production):
    response = client.get("/login/", secure=True)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[directive]
        assert "'unsafe-eval'" not in csp[directive]
        assert all(v == "'self'" or v.startswith("'nonce-") for v in csp[directive])


def test_a_nonce_is_fresh_on_every_response(production):
    template = engines["django"].from_string('<script nonce="{{ request.csp_nonce }}"></script>')
    nonces = []
    for _ in range(2):
        request = RequestFactory().get("/")

        def view(request):
            return HttpResponse(template.render({}, request))

        response = CSPMiddleware(view)(request)
        nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in policy(response)["script-src"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_the_admin_policy_allows_only_wagtails_inline_scripts_and_styles(db, client, production):
    secretary = villager_with_role(VillageFactory(), "secretary").user
    client.force_login(secretary)
    response = client.get("/admin/", secure=True)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["script-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert not any(v.startswith("'nonce-") for v in csp["script-src"])


def test_api_and_errors_carry_the_policy_too(db, client, production):
    for path in ("/api/v1/openapi.json", "/no-such-page/", "/media/points/2026/01/x.png"):
        response = client.get(path, secure=True)
        assert "Content-Security-Policy" in response, path


def _base_header(path, response_of=HttpResponse, **settings):
    """What django-csp's own middleware, with the admin exception, writes for `path`."""
    from csp.middleware import CSPMiddleware as Base

    class Reference(CSPMiddleware):
        process_response = Base.process_response  # builds the policy on each request

    with override_settings(**settings):
        response = Reference(lambda request: response_of())(RequestFactory().get(path))
    return {k: v for k, v in response.headers.items() if k.startswith("Content-Security")}


def _our_header(path, response_of=HttpResponse, **settings):
    with override_settings(**settings):
        response = CSPMiddleware(lambda request: response_of())(RequestFactory().get(path))
    return {k: v for k, v in response.headers.items() if k.startswith("Content-Security")}


def test_the_policy_built_once_is_the_one_django_csp_builds(db, production):
    """A response with no nonce is given the policy built once per process: the same header,
    byte for byte, as django-csp builds on each request — for the site, the admin and the API,
    also when the settings change (a report-only policy, a prefix left out, another host)."""
    report_only = {"DIRECTIVES": {"default-src": ["'none'"], "report-uri": ["/csp-report/"]}}
    strict = {
        "DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'", "https://img.example"]},
        "EXCLUDE_URL_PREFIXES": ["/api/v1/openapi"],
    }
    for overrides in (
        {},
        {"CONTENT_SECURITY_POLICY_REPORT_ONLY": report_only},
        {"CONTENT_SECURITY_POLICY": strict},
    ):
        for path in ("/", "/admin/", "/admin/pages/", "/api/v1/me", "/api/v1/openapi.json"):
            ours = _our_header(path, **overrides)
            assert ours == _base_header(path, **overrides), (path, overrides)
            if path == "/api/v1/openapi.json" and overrides.get("CONTENT_SECURITY_POLICY"):
                assert ours == {}
            else:
                assert ours["Content-Security-Policy"], (path, overrides)
    assert (
        "img.example" in _our_header("/", CONTENT_SECURITY_POLICY=strict)["Content-Security-Policy"]
    )
    assert "img.example" not in _our_header("/")["Content-Security-Policy"]


def test_a_views_own_change_and_an_exemption_are_kept(db, production):
    """A view that changes its policy (django-csp's decorators) or is exempt is answered as
    django-csp answers it, not with the policy built once."""
    from csp.decorators import csp_exempt, csp_update

    updated = csp_update({"img-src": ["https://maps.example"]})(lambda request: HttpResponse())
    exempt = csp_exempt()(lambda request: HttpResponse())
    request = RequestFactory().get("/")
    header = CSPMiddleware(updated)(request)["Content-Security-Policy"]
    assert "https://maps.example" in header
    assert "Content-Security-Policy" not in CSPMiddleware(exempt)(RequestFactory().get("/"))
