"""Profile pictures: checked, cropped square and re-encoded, so no metadata survives.

Whatever the upload carried (EXIF with a GPS position, a huge canvas, a file that
only pretends to be an image), what is stored is a fresh 256 x 256 WebP made by
Pillow from the decoded pixels.
"""

import io
import secrets

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_AVATAR_BYTES = 2 * 1024 * 1024
MAX_AVATAR_PIXELS = 25_000_000
AVATAR_SIZE = 256
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


class AvatarRefused(ValueError):
    """The file is not a picture we accept; the message says what to send instead."""


def avatar_path(instance: object, filename: str) -> str:
    return f"avatars/{secrets.token_hex(12)}.webp"


def clean_avatar(upload: UploadedFile) -> ContentFile:
    if upload.size is not None and upload.size > MAX_AVATAR_BYTES:
        raise AvatarRefused(
            _("The picture is larger than 2 MB. Please send a smaller one.")
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format or ""
            width, height = probe.size
            probe.verify()
        if fmt not in ACCEPTED_FORMATS:
            raise AvatarRefused(_("Send the picture as a JPEG, PNG or WebP image."))
        if width * height > MAX_AVATAR_PIXELS:
            raise AvatarRefused(
                _("The picture has too many pixels. Please send a smaller one.")
            )
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image) or image
            image = image.convert(
                "RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB"
            )
            square = ImageOps.fit(
                image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS
            )
            out = io.BytesIO()
            square.save(out, format="WEBP", quality=85)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        raise AvatarRefused(
            _(
                "That file could not be read as a picture. Send a JPEG, PNG or WebP image."
            )
        ) from exc
    return ContentFile(out.getvalue(), name="avatar.webp")
