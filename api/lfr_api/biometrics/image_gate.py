"""The one gate every uploaded image passes (watchlist enrolment, the watchlist check,
ingested probe crops) before anything decodes it, and the headers stored images are
served with.

1. The header is read (Pillow's ``Image.open``, which decodes no pixels); only JPEG, PNG
   and WebP are admitted, and an image declaring more than ``max_pixels`` pixels (or a side
   over :data:`MAX_SIDE`) is refused (413) before a single pixel is decoded: a 280 KB JPEG
   declaring 20000×20000 costs a header read, not 1.2 GB.
2. Bytes that also carry markup (an HTML/SVG/script polyglot) are refused (415).
3. The image is decoded (truncated or corrupt data: 415), turned upright by its EXIF
   orientation, and re-encoded as a plain JPEG: EXIF, ICC, comments and anything appended
   after the image are gone. Only the re-encoded bytes go further.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from lfr_api.errors import PayloadTooLarge, UnsupportedMedia
from lfr_framework.errors import ImageDecodeError

#: Watchlist images: at most 40 megapixels (a 7300×5500 photo).
MAX_PIXELS = 40_000_000
#: Probe crops from camera nodes: a face crop, at most 4 megapixels.
CROP_MAX_PIXELS = 4_000_000
#: The longest side any image may have.
MAX_SIDE = 12_000
FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
JPEG_QUALITY = 92
_MARKUP = re.compile(rb"<(?:!doctype|html|head|body|script|svg|iframe|object|embed|\?xml)\b",
                     re.IGNORECASE)
#: Headers every stored image is served with (never rendered as anything but an image).
SERVE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                 "Content-Security-Policy": "default-src 'none'; sandbox"}


class ImageTooLarge(PayloadTooLarge):
    """The image declares more pixels than the gate admits."""

    type_, title = "image-too-large", "Image too large"


class NotAnImage(UnsupportedMedia):
    """The bytes are not an admitted image format, or carry more than an image."""

    type_, title = "not-an-image", "Not an image"


@dataclass(frozen=True, slots=True)
class GatedImage:
    """An image that passed the gate: re-encoded JPEG bytes and its size."""

    jpeg: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def _refuse(cls: type[NotAnImage] | type[ImageTooLarge], field: str,
            detail: str) -> NotAnImage | ImageTooLarge:
    return cls(detail, errors=[{"field": field, "message": detail}])


def admit(data: bytes, name: str, *, field: str = "image",
          max_pixels: int = MAX_PIXELS) -> GatedImage:
    """Check, decode and re-encode one uploaded image (see the module); 413/415 naming
    ``name`` and ``field`` when it is refused."""
    if not data:
        raise _refuse(NotAnImage, field, f"{name} is empty: attach a JPEG, PNG or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(ImageTooLarge, field, f"{name} declares far more than {max_pixels} "
                      "pixels: send a smaller image") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise _refuse(NotAnImage, field, f"{name} is not a JPEG, PNG or WebP image") from None
    with opened:
        if opened.format not in FORMATS:
            raise _refuse(NotAnImage, field, f"{name} is {opened.format}: only JPEG, PNG and "
                          "WebP images are accepted")
        width, height = opened.size
        if width * height > max_pixels or max(width, height) > MAX_SIDE:
            raise _refuse(ImageTooLarge, field, f"{name} is {width}×{height} pixels; the "
                          f"limit is {max_pixels} pixels and {MAX_SIDE} a side: send a "
                          "smaller image")
        if _MARKUP.search(data):
            raise _refuse(NotAnImage, field, f"{name} carries markup besides the image "
                          "(an HTML/SVG polyglot): send the plain image")
        try:
            opened.load()
            upright = ImageOps.exif_transpose(opened)
            rgb = upright.convert("RGB")
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise ImageDecodeError(f"{name} is not a readable image (corrupt or truncated: "
                                   f"{type(exc).__name__})") from None
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=JPEG_QUALITY)
    return GatedImage(jpeg=out.getvalue(), width=rgb.width, height=rgb.height)


def admit_uploads(files: list[tuple[str, bytes]]) -> list[tuple[str, str, bytes]]:
    """Gate each ``(name, bytes)`` upload (field ``images[i]``): ``(name, type, jpeg)``."""
    out = []
    for i, (name, data) in enumerate(files):
        gated = admit(data, name, field=f"images[{i}]")
        out.append((name, gated.content_type, gated.jpeg))
    return out


def serve_headers(filename: str) -> dict[str, str]:
    """:data:`SERVE_HEADERS` plus an inline ``Content-Disposition`` naming a ``.jpg``."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:100] or "image"
    stem = safe.rsplit(".", 1)[0] if "." in safe else safe
    return {**SERVE_HEADERS, "Content-Disposition": f'inline; filename="{stem}.jpg"'}


def served_type(content_type: str) -> str:
    """The type every stored image is served as: ``image/jpeg`` (what the gate stores;
    with ``nosniff`` no browser renders one as anything but an image, whatever an image
    stored before the gate said it was)."""
    del content_type
    return "image/jpeg"
