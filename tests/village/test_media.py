"""Uploaded files under production settings: public images to anyone; evidence photos, sign-in
sheets, suggestion and progress photos only to whom the permission module allows — 404 to
everyone else, for a guessed name as for a real one; issued PDFs never through /media/. The
county's S3 storage is the real django-storages backend against a local S3 server (moto)."""

import io
import socket
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from deliberation.models import (
    Body,
    Category,
    ImplementationUpdate,
    Matter,
    MatterStatus,
    MatterVersion,
    Meeting,
    Origin,
    Suggestion,
)
from points import services as points_services
from points.models import Entry
from tests.support.points_world import build_world, last_month_day
from village import media
from village.models import Villager


def png(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "green").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def world(db):
    """The points world (tests/points/conftest.py) and one file of each private kind.

    ``resident`` lives in h1 (the evidence's household), ``neighbour`` in h2; ``foreign`` is a
    secretary of a village of another township."""
    w = build_world()
    entry = points_services.entry_record(
        actor=w.officer,
        household=w.h[1],
        rule=w.rules["XL01"],
        occurred_on=last_month_day(),
        photo=png("evidence.png"),
    )
    matter = Matter.objects.create(
        village=w.village,
        title="修村道",
        body="硬化村东道路",
        category=Category.choices[0][0],
        origin=Origin.choices[0][0],
        status=MatterStatus.IMPLEMENTING,
        current_step=6,
        frozen_at=timezone.now(),
    )
    version = MatterVersion.objects.create(
        matter=matter, number=1, title=matter.title, body=matter.body, sha256="0" * 64
    )
    meeting = Meeting.objects.create(
        matter=matter, step=2, version=version, body=Body.TWO_COMMITTEES, held_on=date.today()
    )
    meeting.register_photo.save("sheet.png", png("sheet.png"))
    update = ImplementationUpdate.objects.create(matter=matter, text="路基已完成")
    update.photo.save("progress.png", png("progress.png"))
    resident = Villager.objects.get(user=w.resident)
    suggestion = Suggestion.objects.create(village=w.village, villager=resident, text="路灯坏了")
    suggestion.photo.save("lamp.png", png("lamp.png"))
    w.files = {
        "evidence": entry.photo.name,
        "register": meeting.register_photo.name,
        "update": update.photo.name,
        "suggestion": suggestion.photo.name,
    }
    w.matter = matter
    return w


def fetch(client, user, name, **extra):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(media_url(name), secure=True, **extra)


def media_url(name):
    return default_storage.url(name)


# who may fetch each kind (by attribute of the world), and who may not
ALLOWED = {
    "evidence": ["resident", "officer", "secretary", "committee", "inspector"],
    "register": ["secretary", "committee", "officer", "inspector"],
    "update": ["resident", "neighbour", "secretary", "inspector"],
    "suggestion": ["resident", "secretary", "officer", "inspector"],
}
REFUSED = {
    "evidence": [None, "neighbour", "outsider", "foreign"],
    "register": [None, "resident", "neighbour", "outsider", "foreign"],
    "update": [None, "outsider", "foreign"],
    "suggestion": [None, "neighbour", "outsider", "foreign"],
}


def person(world, who):
    if who is None:
        return None
    if who == "foreign":
        return world.foreign.secretary
    return getattr(world, who)


@pytest.mark.parametrize(
    "kind,who", [(k, w) for k, people in ALLOWED.items() for w in people], ids=str
)
def test_private_file_is_served_to_who_may_see_it(world, client, production, kind, who):
    name = world.files[kind]
    response = fetch(client, person(world, who), name)
    assert response.status_code == 200, (kind, who)
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.parametrize(
    "kind,who", [(k, w) for k, people in REFUSED.items() for w in people], ids=str
)
def test_private_file_is_refused_to_everyone_else(world, client, production, kind, who):
    response = fetch(client, person(world, who), world.files[kind])
    assert response.status_code == 404, (kind, who)
    assert b"\x89PNG" not in response.content


def test_every_private_file_url_goes_through_the_check(world, production):
    for kind, name in world.files.items():
        assert media_url(name) == f"/media/{name}", kind
        assert not media.is_public(name), kind


def test_guessing_another_households_evidence_tells_nothing(world, client, production):
    """The neighbour knows the URL pattern: the real file and an invented one answer alike."""
    real = world.files["evidence"]
    invented = real.rsplit("/", 1)[0] + "/evidence_guess.png"
    for name in (real, invented, "points/2020/01/evidence.png"):
        response = fetch(client, world.neighbour, name)
        assert response.status_code == 404
    # Nor past the check by spelling the path another way.
    client.force_login(world.neighbour)
    for path in (
        f"/media/./{real}",
        f"/media//{real}",
        f"/media/images/../{real}",
        f"/media/images/%2e%2e/{real}",
        "/media/../village/settings/base.py",
        f"/media/{real}%00.png",
    ):
        response = client.get(path, secure=True)
        assert response.status_code == 404, path
        assert b"\x89PNG" not in response.content


def test_private_files_stay_closed_with_debug_on(world, client, production):
    """`make run` (DEBUG) used to serve all of /media/ to anyone."""
    with override_settings(DEBUG=True):
        assert fetch(client, None, world.files["evidence"]).status_code == 404
        assert fetch(client, world.neighbour, world.files["evidence"]).status_code == 404
        assert fetch(client, world.resident, world.files["evidence"]).status_code == 200


def test_public_images_are_public(world, client, production):
    name = default_storage.save("images/village-gate.png", png())
    response = fetch(client, None, name)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]


def test_issued_documents_never_come_through_media(world, client, production):
    """An issued PDF is served by its own view after its own check, never as a bare file."""
    name = default_storage.save("documents/2026/01/ABCDEFGHJK.pdf", ContentFile(b"%PDF-1.7"))
    for who in (None, "resident", "secretary"):
        assert fetch(client, person(world, who), name).status_code == 404
    name = default_storage.save("documents/minutes.pdf", ContentFile(b"%PDF-1.7"))
    assert fetch(client, world.secretary, name).status_code == 404


def test_the_villagers_points_page_links_evidence_through_the_check(world, client, production):
    client.force_login(world.resident)
    page = client.get("/points/", secure=True).content.decode()
    assert f'src="/media/{world.files["evidence"]}"' in page
    assert fetch(client, world.resident, world.files["evidence"]).status_code == 200


def test_the_phone_app_fetches_evidence_with_its_api_token(world, client, production):
    from wagtail.models import APIToken

    name = world.files["evidence"]
    _row, own = APIToken.create_token(user=world.resident, name="cunzhi-app")
    _row, other = APIToken.create_token(user=world.neighbour, name="cunzhi-app")
    ok = client.get(f"/media/{name}", secure=True, headers={"Authorization": f"Bearer {own}"})
    assert ok.status_code == 200
    for token in (other, "not-a-token"):
        response = client.get(
            f"/media/{name}", secure=True, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 404


def test_behind_nginx_the_checked_file_is_sent_by_nginx(world, client, production):
    with override_settings(CUNZHI_MEDIA_ACCEL_REDIRECT="/protected-media/"):
        ok = fetch(client, world.resident, world.files["evidence"])
        refused = fetch(client, world.neighbour, world.files["evidence"])
    assert ok.status_code == 200
    assert ok["X-Accel-Redirect"] == f"/protected-media/{world.files['evidence']}"
    assert ok.content == b""
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused


def test_production_serves_media_with_a_content_security_policy(world, client, production):
    response = fetch(client, world.resident, world.files["evidence"])
    assert "default-src 'self'" in response["Content-Security-Policy"]


# --- S3: the real django-storages backend against a local S3-compatible server ---------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(monkeypatch):
    """A bucket on moto's S3 server on 127.0.0.1, and the settings a county would set."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {
        "AWS_ACCESS_KEY_ID": "cunzhi-test",
        "AWS_SECRET_ACCESS_KEY": "cunzhi-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(key, raising=False)
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
        Bucket="cunzhi-media"
    )
    storages = {
        "default": {
            "BACKEND": "village.storage.S3MediaStorage",
            "OPTIONS": {
                "bucket_name": "cunzhi-media",
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "file_overwrite": False,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    try:
        with override_settings(STORAGES=storages, CUNZHI_MEDIA_URL_SECONDS=30):
            yield endpoint
    finally:
        server.stop()


def test_s3_private_file_redirects_to_a_short_lived_signed_url_after_the_check(
    world, client, production, s3
):
    import requests

    from village.storage import S3MediaStorage

    name = default_storage.save("points/2026/01/evidence.png", png())
    assert isinstance(default_storage._wrapped, S3MediaStorage)
    Entry.objects.filter(photo=world.files["evidence"]).update(photo=name)

    # The page's link is the checking view, not the bucket.
    assert default_storage.url(name) == f"/media/{name}"
    # Nobody gets the object from the bucket without a signature.
    assert requests.get(f"{s3}/cunzhi-media/{name}", timeout=10).status_code == 403

    assert fetch(client, world.neighbour, name).status_code == 404
    assert fetch(client, None, name).status_code == 404
    response = fetch(client, world.resident, name)
    assert response.status_code == 302
    signed = response["Location"]
    assert signed.startswith(f"{s3}/cunzhi-media/{name}?")
    assert "Expires=" in signed or "X-Amz-Expires=30" in signed
    got = requests.get(signed, timeout=10)
    assert got.status_code == 200 and got.content.startswith(b"\x89PNG")
    # Two households' photo.png never overwrite each other.
    again = default_storage.save("points/2026/01/evidence.png", png())
    assert again != name


def test_s3_public_image_has_a_plain_bucket_url(world, client, production, s3):
    name = default_storage.save("images/village-gate.png", png())
    url = default_storage.url(name)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == s3
    assert parts.path == f"/cunzhi-media/{name}"
    assert "Signature" not in url
    # Through /media/ too (a page cached before the move): a redirect to the same URL.
    response = client.get(f"/media/{name}", secure=True)
    assert response.status_code == 302 and response["Location"] == url


# The checked fetch of an evidence photo by its household's villager: session, user, roles
# (villager, memberships, township roles), the entry that holds the file, and its account and
# household for the permission's answer.
MEDIA_EVIDENCE = 8


def test_a_checked_fetch_costs_the_same_few_queries(
    world, client, production, django_assert_num_queries
):
    client.force_login(world.resident)
    with django_assert_num_queries(MEDIA_EVIDENCE):
        response = client.get(media_url(world.files["evidence"]), secure=True)
    assert response.status_code == 200
    b"".join(response.streaming_content)
