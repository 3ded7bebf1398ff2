"""Synthetic backgrounds, drawn deterministically from the scene's seed."""

from __future__ import annotations

import numpy as np

from lfr_framework.imaging import require_cv2
from lfr_framework.types import Image


def make_background(kind: str, width: int, height: int, seed: int) -> Image:
    """A ``street`` or ``hall`` background: gradients, blocks and texture, never flat."""
    rng = np.random.default_rng([seed, 0x5CE4E])
    canvas = _street(rng, width, height) if kind == "street" else _hall(rng, width, height)
    cv2 = require_cv2()
    noise = rng.normal(0.0, 6.0, size=(height, width, 1)).astype(np.float32)
    canvas += cv2.GaussianBlur(noise, (0, 0), 0.8)[:, :, None]
    out: Image = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    return out


def _vertical_gradient(width: int, height: int, top: tuple[float, float, float],
                       bottom: tuple[float, float, float]) -> np.ndarray:
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    line = (1.0 - t) * np.array(top, np.float32) + t * np.array(bottom, np.float32)
    return np.repeat(line, width, axis=1)


def _street(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    cv2 = require_cv2()
    horizon = int(0.62 * height)
    canvas = _vertical_gradient(width, height, (215.0, 185.0, 160.0), (230.0, 220.0, 210.0))
    canvas[horizon:] = _vertical_gradient(width, height - horizon, (125.0, 128.0, 130.0),
                                          (80.0, 84.0, 88.0))
    x = int(-rng.integers(0, 60))
    while x < width:
        w = int(rng.integers(width // 14, width // 5))
        top = int(horizon - rng.uniform(0.25, 0.55) * height)
        colour = tuple(float(c) for c in rng.uniform(60, 190, 3))
        cv2.rectangle(canvas, (x, top), (x + w - 2, horizon), colour, -1)
        win = max(6, w // 9)
        for wy in range(top + win, horizon - 2 * win, 2 * win):
            for wx in range(x + win, x + w - 2 * win, 2 * win):
                lit = float(rng.uniform(0.45, 1.3))
                shade = tuple(min(255.0, c * lit) for c in colour)
                cv2.rectangle(canvas, (wx, wy), (wx + win, wy + win), shade, -1)
        x += w + int(rng.integers(0, 30))
    for y in range(horizon + 8, height, max(8, height // 24)):
        cv2.line(canvas, (0, y), (width, y), (70.0, 72.0, 75.0), 1)
    cv2.rectangle(canvas, (0, horizon), (width, horizon + 6), (150.0, 150.0, 150.0), -1)
    return canvas


def _hall(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    cv2 = require_cv2()
    floor = int(0.7 * height)
    canvas = _vertical_gradient(width, height, (170.0, 195.0, 215.0), (140.0, 165.0, 185.0))
    canvas[floor:] = _vertical_gradient(width, height - floor, (95.0, 100.0, 110.0),
                                        (60.0, 62.0, 68.0))
    step = int(rng.integers(width // 7, width // 4))
    for x in range(int(rng.integers(0, step)), width, step):
        pillar = max(8, width // 40)
        cv2.rectangle(canvas, (x, 0), (x + pillar, floor), (205.0, 215.0, 225.0), -1)
        if rng.random() < 0.6:
            door_w = int(rng.integers(width // 20, width // 10))
            colour = tuple(float(c) for c in rng.uniform(40, 150, 3))
            door_x = x + pillar + int(rng.integers(10, max(11, step - pillar - door_w - 10)))
            cv2.rectangle(canvas, (door_x, int(0.3 * height)), (door_x + door_w, floor), colour, -1)
    tile = max(12, width // 24)
    for x in range(0, width, tile):
        cv2.line(canvas, (x, floor), (x, height), (75.0, 78.0, 84.0), 1)
    return canvas
