"""Image uploads: JPEG/PNG/WebP only, at most 10 MB and 40 megapixels, refused with a message
before any pixel is decoded — in the Wagtail admin and in the project's own validator."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.images.forms import get_image_form
from wagtail.models import Collection

from village.uploads import validate_image_upload

Image = get_image_model()


def _encode(size, fmt, mode="RGB", color="#c0392b"):
    buffer = io.BytesIO()
    PILImage.new(mode, size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png() -> bytes:
    """A real, complete PNG of 9000×9000 = 81 megapixels that compresses to about 10 KB."""
    buffer = io.BytesIO()
    PILImage.new("1", (9000, 9000)).save(buffer, format="PNG")
    return buffer.getvalue()


def claimed_giant_png() -> bytes:
    """A PNG whose header claims 100000×100000 pixels, with a token of data after it."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _chunk(b"IEND", b"")
    )


def twelve_mb_jpeg() -> bytes:
    """A valid JPEG followed by padding up to 12 MB (decoders ignore what follows the image)."""
    data = _encode((64, 64), "JPEG")
    return data + b"\x00" * (12 * 1024 * 1024 - len(data))


def pdf_named_jpg() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def svg() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        b'<script>alert(1)</script><rect width="64" height="64" fill="red"/></svg>'
    )


BAD = {
    "decompression bomb": ("bomb.png", bomb_png, "image/png"),
    "giant header": ("giant.png", claimed_giant_png, "image/png"),
    "12 MB": ("big.jpg", twelve_mb_jpeg, "image/jpeg"),
    "PDF renamed .jpg": ("scan.jpg", pdf_named_jpg, "image/jpeg"),
    "SVG": ("logo.svg", svg, "image/svg+xml"),
}
# What the uploader is told, in the admin's Chinese.
ADMIN_MESSAGE = {
    "decompression bomb": "像素过多",
    "giant header": "像素过多",
    "12 MB": "文件过大",
    "PDF renamed .jpg": "有效的图片",
    "SVG": "不支持的图片格式",
}
GOOD = {
    "PNG": ("photo.png", lambda: _encode((64, 48), "PNG"), "image/png"),
    "JPEG": ("photo.jpg", lambda: _encode((64, 48), "JPEG"), "image/jpeg"),
    "WebP": ("photo.webp", lambda: _encode((64, 48), "WEBP"), "image/webp"),
}


def _upload(name, make, content_type):
    return SimpleUploadedFile(name, make(), content_type=content_type)


def _village_collection(site_world):
    return Collection.objects.get(name=site_world.village.name)


@pytest.mark.parametrize("kind", list(BAD))
def test_admin_upload_refuses_with_a_message(site_world, client, kind):
    client.force_login(site_world.people.secretary.user)
    response = client.post(
        "/admin/images/add/",
        {
            "title": kind,
            "file": _upload(*BAD[kind]),
            "collection": _village_collection(site_world).pk,
        },
    )
    assert response.status_code == 200  # the form again, not a redirect to the listing
    errors = response.context["form"].errors
    assert errors.get("file"), errors
    assert ADMIN_MESSAGE[kind] in " ".join(errors["file"])
    for message in errors["file"]:
        assert message in response.content.decode()
    assert not Image.objects.exists()


@pytest.mark.parametrize("kind", list(GOOD))
def test_admin_upload_accepts_a_small_photo(site_world, client, kind):
    client.force_login(site_world.people.secretary.user)
    collection = _village_collection(site_world)
    response = client.post(
        "/admin/images/add/",
        {"title": f"村容 {kind}", "file": _upload(*GOOD[kind]), "collection": collection.pk},
    )
    assert response.status_code == 302
    image = Image.objects.get(title=f"村容 {kind}")
    assert (image.width, image.height) == (64, 48)
    assert image.collection == collection


@pytest.mark.parametrize("kind", list(BAD))
def test_image_form_refuses_with_a_message(db, kind):
    ImageForm = get_image_form(Image)
    form = ImageForm(data={"title": kind}, files={"file": _upload(*BAD[kind])})
    assert not form.is_valid()
    assert form.errors["file"] and all(m.strip() for m in form.errors["file"])


@pytest.mark.parametrize("kind", list(GOOD))
def test_image_form_accepts_a_small_photo(db, kind):
    ImageForm = get_image_form(Image)
    form = ImageForm(
        data={"title": kind, "collection": Collection.get_first_root_node().pk},
        files={"file": _upload(*GOOD[kind])},
    )
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("kind", "code", "says"),
    [
        ("decompression bomb", "too_many_pixels", "9000×9000"),
        ("12 MB", "too_large", "10 MB"),
        ("PDF renamed .jpg", "type", "JPEG、PNG 或 WebP"),
        ("SVG", "type", "JPEG、PNG 或 WebP"),
    ],
)
def test_validate_image_upload_refuses_with_a_message(kind, code, says):
    with pytest.raises(ValidationError) as caught:
        validate_image_upload(_upload(*BAD[kind]))
    assert caught.value.code == code
    assert says in caught.value.messages[0]


def test_validate_image_upload_refuses_a_header_claiming_ten_billion_pixels():
    with pytest.raises(ValidationError) as caught:
        validate_image_upload(_upload(*BAD["giant header"]))
    assert caught.value.messages[0].strip()


def test_validate_image_upload_says_too_many_pixels_for_a_giant_header():
    with pytest.raises(ValidationError) as caught:
        validate_image_upload(_upload(*BAD["giant header"]))
    assert caught.value.code == "too_many_pixels"


@pytest.mark.parametrize("kind", list(GOOD))
def test_validate_image_upload_accepts_a_small_photo(kind):
    upload = _upload(*GOOD[kind])
    validate_image_upload(upload)
    assert upload.tell() == 0  # left ready to be saved


def test_validate_image_upload_refuses_an_empty_file_and_a_webp_lookalike():
    with pytest.raises(ValidationError):
        validate_image_upload(SimpleUploadedFile("empty.png", b"", content_type="image/png"))
    fake = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 64
    with pytest.raises(ValidationError):
        validate_image_upload(SimpleUploadedFile("sound.webp", fake, content_type="image/webp"))
