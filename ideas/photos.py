"""Photos residents attach to ideas: type and size checked, location metadata removed.

A phone photo's EXIF block often holds the GPS position of the resident's home;
the image is decoded and written anew without any metadata, so nothing of it
survives, whatever the uploader's software put there.
"""

import io
import secrets

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class PhotoRefused(ValueError):
    """The file is not a photo we accept; the message says what to send instead."""


def sanitise_photo(upload: UploadedFile) -> ContentFile:
    """Return a clean copy of the photo (no EXIF, upright), or raise PhotoRefused."""
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise PhotoRefused(
            _("The photo is larger than 5 MB. Please send a smaller one.")
        )
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            fmt = probe.format or ""
            width, height = probe.size
            probe.verify()
        if fmt not in ALLOWED_FORMATS:
            raise PhotoRefused(_("Send the photo as a JPEG, PNG or WebP image."))
        if width * height > MAX_PHOTO_PIXELS:
            raise PhotoRefused(
                _("The photo has too many pixels. Please send a smaller one.")
            )
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image) or image
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            # A fresh save carries no EXIF, XMP or ICC position data.
            image.save(out, format=fmt, **({"quality": 88} if fmt != "PNG" else {}))
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        raise PhotoRefused(
            _("That file could not be read as a photo. Send a JPEG, PNG or WebP image.")
        ) from exc
    return ContentFile(
        out.getvalue(), name=f"{secrets.token_hex(8)}.{ALLOWED_FORMATS[fmt]}"
    )
