"""Cover images are checked by their first bytes, so a renamed file cannot pass for an image (no Pillow needed)."""

from django.core.exceptions import ValidationError

MAX_COVER_BYTES = 2 * 1024 * 1024
ALLOWED_COVER_TYPES = "PNG, JPEG or WebP"


def sniff_image_type(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def cover_image_problem(upload) -> str | None:
    """A sentence saying what is wrong with the upload, or None when it is acceptable."""
    size = getattr(upload, "size", None) or 0
    if size > MAX_COVER_BYTES:
        return f"The cover image is {size / 1024 / 1024:.1f} MB; the limit is 2 MB."
    if size == 0:
        return "The cover image file is empty."
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(16)
    upload.seek(position)
    if sniff_image_type(head) is None:
        return f"The cover image must be a {ALLOWED_COVER_TYPES} image."
    return None


def validate_cover_image(upload) -> None:
    problem = cover_image_problem(upload)
    if problem:
        raise ValidationError(problem)
