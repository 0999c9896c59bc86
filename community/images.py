"""A post's image, made small before it is stored: members read on phones and metered links.

Whatever was uploaded (a 12-megapixel photo, a PNG screenshot) is checked by Pillow, turned the
right way up, scaled to fit `MAX_SIDE` pixels and saved again as a JPEG, which also drops its
metadata (a phone photo's location). Only that JPEG is kept and served.
"""

from __future__ import annotations

import io
import uuid

from django.core.files.base import ContentFile
from PIL import Image
from PIL import ImageOps

MAX_SIDE = 1280
JPEG_QUALITY = 80
# What members may upload (the request guard refuses bodies over 2.5 MB before this).
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def prepare_image(upload) -> ContentFile:
    upload.seek(0)
    with Image.open(upload) as original:
        image = ImageOps.exif_transpose(original)
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        if image.mode != "RGB":
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
