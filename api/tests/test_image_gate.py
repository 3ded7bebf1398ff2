"""The image gate: pixel limits before any decode (bounded memory), non-images and
polyglots refused, EXIF stripped by re-encoding, stored images served ``nosniff`` as JPEG."""

from __future__ import annotations

import io
import re
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from lfr_api.biometrics import image_gate, storage
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, enrol
from PIL import Image

PROBLEM = "application/problem+json"
POLYGLOT_TAIL = b"<html><body><script>alert(document.cookie)</script></body></html>"


def _jpeg(width: int = 32, height: int = 32, **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 90, 60)).save(out, format="JPEG", **save)
    return out.getvalue()


def declared_jpeg(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is rewritten to declare ``width``×
    ``height``: what a decompression bomb looks like to a header reader."""
    data = bytearray(_jpeg())
    at = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


def _peak_rss_reset() -> int:
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM (Linux)
    return _kib("VmRSS")


def _kib(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, flags=re.MULTILINE)
    assert match is not None
    return int(match.group(1))


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module")
def draft(api: Api) -> str:
    r = api.client.post("/deployments", json={"name": "Gate", "location": "High St"},
                        headers=api.headers[Role.admin])
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_the_gate_reads_only_the_header_of_a_bomb() -> None:
    for side in (20_000, 50_000):
        with pytest.raises(image_gate.ImageTooLarge, match=f"{side}×{side}|far more"):
            image_gate.admit(declared_jpeg(side, side), "bomb.jpg")
    with pytest.raises(image_gate.ImageTooLarge):
        image_gate.admit(declared_jpeg(20_000, 100), "wide.jpg")  # a side over MAX_SIDE
    small = image_gate.admit(_jpeg(640, 480), "ok.jpg")
    assert (small.width, small.height) == (640, 480)
    with pytest.raises(image_gate.ImageTooLarge):
        image_gate.admit(_jpeg(2100, 2000), "crop.jpg", max_pixels=image_gate.CROP_MAX_PIXELS)


@pytest.mark.parametrize("side", [20_000, 50_000])
def test_declared_bombs_are_refused_quickly_with_bounded_memory(
        api: Api, draft: str, side: int) -> None:
    bomb = declared_jpeg(side, side)
    check = f"/deployments/{draft}/watchlist-check"
    warm = api.client.post(check, headers=api.headers[Role.admin],  # models loaded first
                           files=[("images", ("small.jpg", _jpeg(), "image/jpeg"))])
    assert warm.status_code == 200, warm.text
    before = _peak_rss_reset()
    started = time.monotonic()
    body = _problem(enrol(api, draft, [("bomb.jpg", bomb)]), 413)
    assert "bomb.jpg" in body["detail"] and body["errors"][0]["field"] == "images[0]"
    r = api.client.post(check, headers=api.headers[Role.admin],
                        files=[("images", ("bomb.jpg", bomb, "image/jpeg"))])
    assert r.status_code == 200, r.text
    judged = r.json()[0]
    assert judged["check"] == "decode" and "pixels" in judged["message"]
    grown_mb = (_kib("VmHWM") - before) / 1024
    assert grown_mb < 200, f"peak RSS grew {grown_mb:.0f} MB"
    assert time.monotonic() - started < 30  # a bound on the test, not a speed claim
    assert api.client.get(f"/deployments/{draft}/watchlist",
                          headers=api.headers[Role.admin]).json() == []


@pytest.mark.parametrize(("name", "content"), [
    ("notes.jpg", b"hello, not an image"),
    ("page.jpg", b"<html><body>hi</body></html>"),
    ("polyglot.jpg", _jpeg() + POLYGLOT_TAIL),
    ("comment.jpg", _jpeg(comment=b"<script>alert(1)</script>")),
    ("truncated.jpg", _jpeg(400, 400)[:300]),
    ("vector.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
])
def test_non_images_and_polyglots_are_refused(api: Api, draft: str, name: str,
                                              content: bytes) -> None:
    r = enrol(api, draft, [(name, content)])
    body = _problem(r, 415)
    assert name in body["detail"]
    assert api.client.get(f"/deployments/{draft}/watchlist",
                          headers=api.headers[Role.admin]).json() == []


def _with_exif(photo: bytes) -> bytes:
    image = Image.open(io.BytesIO(photo))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue()


def test_exif_is_gone_and_images_are_served_nosniff_as_jpeg(
        api: Api, draft: str, photo_bytes: dict[str, bytes]) -> None:
    tagged = _with_exif(photo_bytes["obama"])
    assert Image.open(io.BytesIO(tagged)).getexif()  # the upload does carry EXIF
    r = enrol(api, draft, [("obama.html", tagged + b"\x00" * 16)])
    assert r.status_code == 201, r.text
    link = r.json()["images"][0]["link"]
    served = api.client.get(link, headers=api.headers[Role.admin])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["content-disposition"] == 'inline; filename="obama.jpg"'
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "JPEG" and not image.getexif()
    assert b"SecretCam" not in served.content and b"Exif" not in served.content
    assert image.size == Image.open(io.BytesIO(tagged)).size


def test_an_image_stored_before_the_gate_is_still_served_as_jpeg_nosniff(
        api: Api, draft: str, photo_bytes: dict[str, bytes]) -> None:
    r = enrol(api, draft, [("b.jpg", photo_bytes["biden"])], reference="WR-OLD")
    assert r.status_code == 201, r.text
    image_id = r.json()["images"][0]["id"]
    with api.ctx.db.session() as session:  # as an old row said: whatever the client claimed
        row = storage.watchlist_image(session, image_id)
        assert row is not None
        row[0].content_type = "text/html"
        session.add(row[0])
    served = api.client.get(f"/watchlist-images/{image_id}", headers=api.headers[Role.admin])
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
