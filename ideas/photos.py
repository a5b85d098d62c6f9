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
from PIL import Image

from accounts.images import ImageRefused, Problem, rewrite_image

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class PhotoRefused(ImageRefused):
    """The file is not a photo we accept; the message says what to send instead."""


def _refusals() -> dict[Problem, str]:
    return {
        Problem.TOO_LARGE: _(
            "The photo is larger than 5 MB. Please send a smaller one."
        ),
        Problem.WRONG_FORMAT: _("Send the photo as a JPEG, PNG or WebP image."),
        Problem.TOO_MANY_PIXELS: _(
            "The photo has too many pixels. Please send a smaller one."
        ),
        Problem.UNREADABLE: _(
            "That file could not be read as a photo. Send a JPEG, PNG or WebP image."
        ),
    }


def _write_photo(image: Image.Image, fmt: str, out: io.BytesIO) -> None:
    # The same format as sent; a fresh save carries no EXIF, XMP or ICC position data.
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(out, format=fmt, **({"quality": 88} if fmt != "PNG" else {}))


def sanitise_photo(upload: UploadedFile) -> ContentFile:
    """Return a clean copy of the photo (no EXIF, upright), or raise PhotoRefused."""
    data, fmt = rewrite_image(
        upload,
        max_bytes=MAX_PHOTO_BYTES,
        max_pixels=MAX_PHOTO_PIXELS,
        write=_write_photo,
        refusals=_refusals(),
        refused=PhotoRefused,
    )
    return ContentFile(data, name=f"{secrets.token_hex(8)}.{ALLOWED_FORMATS[fmt]}")


# --- a photo kept across the "check for similar ideas" step --------------------
# The no-JS preview re-renders the form, and a browser never refills a file input.
# The cleaned photo is kept in storage under a random name, and the form carries a
# signed token naming it and the resident it belongs to, so nobody can claim another
# resident's draft or a path of their choosing.

DRAFT_DIR = "idea-drafts"
DRAFT_MAX_AGE = 24 * 3600
_DRAFT_SALT = "ideas.photo-draft"


def keep_draft_photo(upload: UploadedFile, user_id: int) -> tuple[str, str]:
    """Store a cleaned copy; return (token for the form, the file's original name)."""
    from django.core import signing
    from django.core.files.storage import default_storage

    clean = sanitise_photo(upload)
    path = default_storage.save(f"{DRAFT_DIR}/{clean.name}", clean)
    token = signing.dumps({"u": user_id, "p": path}, salt=_DRAFT_SALT)
    return token, str(getattr(upload, "name", "") or clean.name)[:100]


def _draft_path(token: str, user_id: int) -> str | None:
    from django.core import signing

    try:
        data = signing.loads(token, salt=_DRAFT_SALT, max_age=DRAFT_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user_id:
        return None
    path = str(data.get("p", ""))
    if not path.startswith(f"{DRAFT_DIR}/") or ".." in path:
        return None
    return path


def take_draft_photo(token: str, user_id: int) -> ContentFile | None:
    """The kept photo for this resident, or None (expired, foreign or gone)."""
    from django.core.files.storage import default_storage

    path = _draft_path(token, user_id)
    if path is None or not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        return ContentFile(handle.read(), name=path.rsplit("/", 1)[-1])


def discard_draft_photo(token: str, user_id: int) -> None:
    from django.core.files.storage import default_storage

    path = _draft_path(token, user_id)
    if path is not None:
        default_storage.delete(path)
