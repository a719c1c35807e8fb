"""Photo uploads (meeting registers, evidence, portraits): JPEG/PNG/WebP only, ≤ 10 MB and
≤ 40 megapixels, checked from the file's header before any pixel is decoded."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
SIGNATURES = {
    "JPEG": (b"\xff\xd8\xff",),
    "PNG": (b"\x89PNG\r\n\x1a\n",),
    "WEBP": (b"RIFF",),
}


def validate_image_upload(upload) -> None:
    size = getattr(upload, "size", None)
    if size is None or size == 0:
        raise ValidationError(_("文件是空的。"), code="empty")
    if size > MAX_BYTES:
        raise ValidationError(_("图片不能超过 10 MB。"), code="too_large")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = None
    for name, prefixes in SIGNATURES.items():
        if any(head.startswith(p) for p in prefixes):
            if name == "WEBP" and head[8:12] != b"WEBP":
                continue
            kind = name
    if kind is None:
        raise ValidationError(_("只接受 JPEG、PNG 或 WebP 格式的图片。"), code="type")
    try:
        # Image.open reads the header only; nothing is decoded here.
        with Image.open(upload) as image:
            width, height = image.size
            if image.format != kind:
                raise ValidationError(_("图片内容与格式不符。"), code="type")
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow refuses headers far beyond its own limit before we can read the size.
        raise ValidationError(
            _("图片像素过多，不能超过 4000 万像素。"), code="too_many_pixels"
        ) from exc
    except Exception as exc:
        raise ValidationError(_("无法识别这张图片。"), code="invalid") from exc
    finally:
        upload.seek(0)
    if width * height > MAX_PIXELS:
        raise ValidationError(
            _("图片像素过多（%(w)d×%(h)d），不能超过 4000 万像素。") % {"w": width, "h": height},
            code="too_many_pixels",
        )
