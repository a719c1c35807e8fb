"""Generated portraits for the demo's moral models (no photo of anyone), saved as Wagtail images
in the village's collection."""

import io

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.models import Collection


def portrait(color: str, name: str):
    """A plain generated portrait: a silhouette on the person's colour."""
    size = 320
    img = PILImage.new("RGB", (size, size), color)
    draw = ImageDraw.Draw(img)
    draw.ellipse((size * 0.3, size * 0.16, size * 0.7, size * 0.56), fill="#f3e9dc")
    draw.ellipse((size * 0.12, size * 0.6, size * 0.88, size * 1.3), fill="#f3e9dc")
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    buffer.seek(0)
    Image = get_image_model()
    collection = (
        Collection.objects.filter(name="东毛铺村").first() or Collection.get_first_root_node()
    )
    image = Image(title=name, collection=collection)
    image.file.save(f"portrait-{abs(hash(name)) % 10**8}.png", ImageFile(buffer, name="p.png"))
    image.save()
    return image
