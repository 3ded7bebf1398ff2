"""The app's API types are generated from the mobile contract and cannot drift from it:
``npm run gen:check`` (run by ``npm run build``) fails when ``mobile_contract/openapi.json``
or a JSON Schema changed without ``npm run gen``; and the build it ships is in the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[1]
REPO = WEB.parent
CONTRACT = REPO / "mobile_contract"


def _gen_check(contract: Path | None = None) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (WEB / "node_modules" / "openapi-typescript").is_dir():
        if os.environ.get("CI"):
            pytest.fail("node and web/node_modules are needed (make web)")
        pytest.skip("node or web/node_modules missing: run 'make web'")
    env = {**os.environ}
    if contract is not None:
        env["LFR_MOBILE_CONTRACT_DIR"] = str(contract)
    return subprocess.run([node, "scripts/gen-types.mjs", "--check"], cwd=WEB, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_generated_types_match_the_contract() -> None:
    done = _gen_check()
    assert done.returncode == 0, done.stderr
    assert "match" in done.stdout


def test_a_contract_change_without_regenerating_fails(tmp_path: Path) -> None:
    changed = tmp_path / "mobile_contract"
    shutil.copytree(CONTRACT, changed)
    schema = changed / "schemas" / "alert.schema.json"
    schema.write_text(schema.read_text().replace('"model_id": {"type": "string"',
                                                 '"model_name": {"type": "string"', 1))
    done = _gen_check(changed)
    assert done.returncode == 1
    assert "web/src/api/generated/feed.ts" in done.stderr and "npm run gen" in done.stderr
    shutil.copy(CONTRACT / "schemas" / "alert.schema.json", schema)
    openapi = changed / "openapi.json"
    document = json.loads(openapi.read_text())
    document["components"]["schemas"]["AlertOut"]["properties"]["priority"] = {"type": "integer"}
    openapi.write_text(json.dumps(document))
    done = _gen_check(changed)
    assert done.returncode == 1
    assert "web/src/api/generated/openapi.ts" in done.stderr


def test_the_api_wheel_carries_the_built_app(tmp_path: Path) -> None:
    dist = REPO / "api" / "lfr_api" / "webapp" / "dist"
    if not (dist / "index.html").is_file():
        if os.environ.get("CI"):
            pytest.fail("the web app is not built (make web)")
        pytest.skip("the web app is not built: run 'make web'")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(tmp_path), str(REPO / "api")],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next(tmp_path.glob("lfr_api-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    built = {f"lfr_api/webapp/{p.relative_to(dist.parent).as_posix()}"
             for p in dist.rglob("*") if p.is_file()}
    assert built and built <= names, sorted(built - names)
    assert "lfr_api/webapp/dist/sw.js" in names and "lfr_api/webapp/dist/index.html" in names


def test_the_app_speaks_the_contracts_major_version() -> None:
    from lfr_api.contract.version import CONTRACT_VERSION

    source = (WEB / "src" / "feed" / "feed.ts").read_text(encoding="utf-8")
    major = CONTRACT_VERSION.split(".")[0]
    assert f'export const CONTRACT_MAJOR = "{major}";' in source, (
        "web/src/feed/feed.ts speaks another major contract version than the service")
