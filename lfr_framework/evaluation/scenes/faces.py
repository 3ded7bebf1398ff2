"""Head sprites cut from real photos: face box per photo, head crop, scaled soft-edged sprites."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt

from lfr_framework.errors import ConfigurationError
from lfr_framework.evaluation.scenes.layout import FACE_TOP, HEAD_H, HEAD_W, sprite_size
from lfr_framework.evaluation.scenes.spec import SceneSpec
from lfr_framework.imaging import read_image, require_cv2
from lfr_framework.types import BoundingBox, Image

_CASCADE = "haarcascade_frontalface_default.xml"
_DETECT_MAX_SIDE = 640
_BOX_CACHE: dict[tuple[str, int, int], BoundingBox] = {}


@dataclass(frozen=True)
class HeadCut:
    """The head region of one photo, cut around its face box (``HEAD_W`` × ``HEAD_H`` boxes)."""

    image: Image = field(repr=False)
    aspect: float  # face box width / height


@dataclass(frozen=True)
class Sprite:
    """A head scaled for one face height, ready to blend: ``out = (bg*inv + pre) / 255``.

    ``pad`` extra columns on each side hold the smear of motion blur.
    """

    pre: npt.NDArray[np.uint16] = field(repr=False)
    inv: npt.NDArray[np.uint16] = field(repr=False)
    pad: int


def detect_face_box(path: Path) -> BoundingBox:
    """The largest face in the photo, found with OpenCV's frontal-face Haar cascade (cached)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _BOX_CACHE:
        _BOX_CACHE[key] = _detect(require_cv2(), read_image(path), path)
    return _BOX_CACHE[key]


def _detect(cv2: ModuleType, image: Image, path: Path) -> BoundingBox:
    scale = min(1.0, _DETECT_MAX_SIDE / max(image.shape[:2]))
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / _CASCADE))
    if cascade.empty():
        raise ConfigurationError(f"OpenCV's {_CASCADE} could not be loaded; pass face_boxes")
    side = max(20, min(gray.shape[:2]) // 8)
    found = cascade.detectMultiScale(cv2.equalizeHist(gray), scaleFactor=1.1, minNeighbors=5,
                                     minSize=(side, side))
    if len(found) == 0:
        raise ConfigurationError(f"no face found in photo {path.name}; give its face box "
                                 "with face_boxes={name: BoundingBox(...)}")
    x, y, w, h = max(found, key=lambda b: int(b[2]) * int(b[3]))
    return BoundingBox(float(x) / scale, float(y) / scale, float(w) / scale, float(h) / scale)


def load_heads(spec: SceneSpec, photos: Mapping[str, Path],
               face_boxes: Mapping[str, BoundingBox] | None = None) -> dict[str, HeadCut]:
    """Cut the head of every photo the spec's passes use; a missing photo is a clear error."""
    require_cv2()
    boxes = dict(face_boxes or {})
    heads: dict[str, HeadCut] = {}
    for index, item in enumerate(spec.passes):
        if item.photo in heads:
            continue
        if item.photo not in photos:
            known = ", ".join(sorted(photos)) or "none"
            raise ConfigurationError(f"scene pass {index} uses photo {item.photo!r}, which is "
                                     f"not among the photos given ({known})")
        path = Path(photos[item.photo])
        if not path.is_file():
            raise ConfigurationError(f"photo {item.photo!r}: file {path} does not exist")
        box = boxes.get(item.photo) or detect_face_box(path)
        if box.width < 8 or box.height < 8:
            raise ConfigurationError(f"photo {item.photo!r}: face box {box} is too small")
        heads[item.photo] = cut_head(read_image(path), box)
    return heads


def cut_head(image: Image, box: BoundingBox) -> HeadCut:
    """Cut the head region around ``box``, centred on it horizontally (edges beyond the photo
    repeat its border)."""
    cv2 = require_cv2()
    width, height = round(HEAD_W * box.width), round(HEAD_H * box.height)
    centre_x = box.x + box.width / 2.0
    centre_y = box.y - FACE_TOP * box.height + HEAD_H * box.height / 2.0
    crop: Image = cv2.getRectSubPix(image, (width, height), (centre_x, centre_y))
    return HeadCut(image=crop, aspect=box.width / box.height)


class SpriteCache:
    """Scaled sprites per ``(photo, face height)``, built on first use."""

    def __init__(self, heads: Mapping[str, HeadCut], motion_blur_px: int = 0) -> None:
        self._heads = heads
        self._blur = motion_blur_px
        self._sprites: dict[tuple[str, int], Sprite] = {}

    def get(self, photo: str, face_height: int) -> Sprite:
        """The sprite of ``photo`` for a face ``face_height`` pixels tall."""
        key = (photo, face_height)
        if key not in self._sprites:
            self._sprites[key] = make_sprite(self._heads[photo], face_height, self._blur)
        return self._sprites[key]


def make_sprite(head: HeadCut, face_height: int, motion_blur_px: int = 0) -> Sprite:
    """Scale ``head`` for a face ``face_height`` tall with a soft elliptical alpha mask."""
    cv2 = require_cv2()
    width, height = sprite_size(face_height, head.aspect)
    shrink = width <= head.image.shape[1]
    scaled = cv2.resize(head.image, (width, height),
                        interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    alpha = np.zeros((height, width), np.float32)
    cv2.ellipse(alpha, ((width / 2.0, height / 2.0), (0.84 * width, 0.88 * height), 0.0),
                1.0, -1, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.5, 0.035 * width))
    if motion_blur_px <= 1:
        a8 = np.rint(alpha * 255.0).astype(np.uint16)
        pre = scaled.astype(np.uint16) * a8[:, :, None]
        return Sprite(pre=pre, inv=(255 - a8)[:, :, None], pad=0)
    pad = motion_blur_px // 2 + 1
    colour = cv2.copyMakeBorder(scaled.astype(np.float32) * alpha[:, :, None], 0, 0, pad, pad,
                                cv2.BORDER_CONSTANT, value=(0.0, 0.0, 0.0))
    alpha = cv2.copyMakeBorder(alpha, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=0.0)
    colour = cv2.blur(colour, (motion_blur_px, 1))
    alpha = np.clip(cv2.blur(alpha, (motion_blur_px, 1)), 0.0, 1.0)
    a8 = np.rint(alpha * 255.0).astype(np.uint16)
    pre = np.minimum(np.rint(colour * 255.0), a8[:, :, None] * 255.0).astype(np.uint16)
    return Sprite(pre=pre, inv=(255 - a8)[:, :, None], pad=pad)


def paste(frame: Image, sprite: Sprite, x: int, y: int) -> None:
    """Blend ``sprite`` into ``frame`` in place with its top-left (before padding) at ``x, y``."""
    height, width = sprite.inv.shape[:2]
    x -= sprite.pad
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + width, frame.shape[1]), min(y + height, frame.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    region = frame[y0:y1, x0:x1]
    acc = region.astype(np.uint16)
    acc *= sprite.inv[y0 - y:y1 - y, x0 - x:x1 - x]
    acc += sprite.pre[y0 - y:y1 - y, x0 - x:x1 - x]
    acc += 127
    acc //= 255
    region[...] = acc
