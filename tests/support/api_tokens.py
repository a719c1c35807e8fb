"""The API as a phone app uses it: a bearer token from a password, then `GET /api/v1/me`."""

from tests.factories import PASSWORD


def bearer(client, username, password=PASSWORD) -> dict:
    """Request headers carrying a new bearer token of `username`."""
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def me(client, headers) -> dict:
    """`GET /api/v1/me`, answered."""
    response = client.get("/api/v1/me", **headers)
    assert response.status_code == 200
    return response.json()
