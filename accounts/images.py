"""Images residents upload, checked and written anew from their decoded pixels.

One mechanism for every upload (ideas' and projects' photos, profile pictures): the
file must be a JPEG, PNG or WebP of a bounded size and pixel count; it is decoded,
turned upright, and saved fresh by Pillow, so no EXIF block (often the GPS position
of the resident's home), XMP or ICC data survives, whatever the uploader's software
put there. Each caller says how to write the image and words its own refusals.
"""

import io
from collections.abc import Callable, Mapping
from enum import StrEnum

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")


class Problem(StrEnum):
    TOO_LARGE = "too_large"
    WRONG_FORMAT = "wrong_format"
    TOO_MANY_PIXELS = "too_many_pixels"
    UNREADABLE = "unreadable"


class ImageRefused(ValueError):
    """The upload is not an image we accept; the message says what to send instead."""

    def __init__(self, message: str, problem: Problem) -> None:
        super().__init__(message)
        self.problem = problem


def rewrite_image(
    upload: UploadedFile,
    *,
    max_bytes: int,
    max_pixels: int,
    write: Callable[[Image.Image, str, io.BytesIO], None],
    refusals: Mapping[Problem, str],
    refused: type[ImageRefused] = ImageRefused,
) -> tuple[bytes, str]:
    """Check the upload, decode it upright, let `write(image, format, out)` save it
    anew; return (the bytes written, the upload's format), or raise `refused` with
    the caller's words for the problem (`refusals`)."""

    def refuse(problem: Problem) -> ImageRefused:
        return refused(refusals[problem], problem)

    if upload.size is not None and upload.size > max_bytes:
        raise refuse(Problem.TOO_LARGE)
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format or ""
            width, height = probe.size
            probe.verify()
        if fmt not in ACCEPTED_FORMATS:
            raise refuse(Problem.WRONG_FORMAT)
        if width * height > max_pixels:
            raise refuse(Problem.TOO_MANY_PIXELS)
        upload.seek(0)
        with Image.open(upload) as image:
            upright = ImageOps.exif_transpose(image) or image
            out = io.BytesIO()
            write(upright, fmt, out)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        raise refuse(Problem.UNREADABLE) from exc
    return out.getvalue(), fmt
