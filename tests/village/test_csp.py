"""Production answers with a Content-Security-Policy: strict on the village sites and the
villagers' pages (nothing inline without the response's nonce, nothing from another host), the
one admin exception for Wagtail's own inline scripts, the rest as strict there too."""

import re

from django.http import HttpResponse
from django.template import engines
from django.test import RequestFactory

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
