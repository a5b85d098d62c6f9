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
from PIL import Image, ImageOps

from .images import ImageRefused, Problem, rewrite_image

MAX_AVATAR_BYTES = 2 * 1024 * 1024
MAX_AVATAR_PIXELS = 25_000_000
AVATAR_SIZE = 256


class AvatarRefused(ImageRefused):
    """The file is not a picture we accept; the message says what to send instead."""


def avatar_path(instance: object, filename: str) -> str:
    return f"avatars/{secrets.token_hex(12)}.webp"


def _refusals() -> dict[Problem, str]:
    return {
        Problem.TOO_LARGE: _(
            "The picture is larger than 2 MB. Please send a smaller one."
        ),
        Problem.WRONG_FORMAT: _("Send the picture as a JPEG, PNG or WebP image."),
        Problem.TOO_MANY_PIXELS: _(
            "The picture has too many pixels. Please send a smaller one."
        ),
        Problem.UNREADABLE: _(
            "That file could not be read as a picture. Send a JPEG, PNG or WebP image."
        ),
    }


def _write_square(image: Image.Image, fmt: str, out: io.BytesIO) -> None:
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    square = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    square.save(out, format="WEBP", quality=85)


def clean_avatar(upload: UploadedFile) -> ContentFile:
    data, fmt = rewrite_image(
        upload,
        max_bytes=MAX_AVATAR_BYTES,
        max_pixels=MAX_AVATAR_PIXELS,
        write=_write_square,
        refusals=_refusals(),
        refused=AvatarRefused,
    )
    return ContentFile(data, name="avatar.webp")
