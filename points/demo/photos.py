"""Generated evidence photos for the demo's entries whose rule requires one."""

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw


def site_photo(rng: random.Random, name: str) -> SimpleUploadedFile:
    """A small generated "site photo" (a yard and a house), never a picture of anyone."""
    sky = (150 + rng.randint(0, 60), 190 + rng.randint(0, 40), 230)
    img = Image.new("RGB", (480, 360), sky)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 230, 480, 360), fill=(120 + rng.randint(0, 40), 110, 80))
    x = rng.randint(40, 260)
    draw.rectangle((x, 140, x + 170, 250), fill=(200, 196, 186))
    draw.polygon([(x - 15, 140), (x + 85, 80), (x + 185, 140)], fill=(150, 60, 50))
    draw.rectangle((x + 70, 190, x + 100, 250), fill=(90, 60, 40))
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=70)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
