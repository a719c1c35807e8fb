"""What the points API tests share: a client calling /api/v1/points/ with a bearer token per
user, and the message of a JSON error answer."""

import json

from django.conf import settings
from wagtail.models import APIToken


class Api:
    """Calls under `prefix` with a bearer token per user (made once, as a phone app keeps it)."""

    prefix = "/api/v1/points"

    def __init__(self, client):
        self.client = client
        self.tokens = {}

    def headers(self, user):
        if user is None:
            return {}
        if user.pk not in self.tokens:
            _row, self.tokens[user.pk] = APIToken.create_token(
                user=user, name=settings.CUNZHI_API_TOKEN_NAME
            )
        return {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[user.pk]}"}

    def get(self, path, user, **params):
        return self.client.get(f"{self.prefix}{path}", params, **self.headers(user))

    def post(self, path, user, data):
        return self.client.post(
            f"{self.prefix}{path}",
            data=json.dumps(data, default=str),
            content_type="application/json",
            **self.headers(user),
        )


def message(response):
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["message"]
    return body["message"]
