"""``lfr users create`` bootstraps an admin; the committed OpenAPI document is current."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from lfr_api.cli.service import contract, users
from lfr_api.contract.openapi import openapi_document, render
from lfr_api.db.engine import make_engine
from lfr_api.db.models import User
from sqlmodel import Session, select

REPO = Path(__file__).resolve().parents[2]


def test_users_create_bootstraps_an_admin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lfr.db'}"
    env = {"LFR_HOME": str(tmp_path), "LFR_DATABASE_URL": url}
    result = CliRunner().invoke(users, ["create", "--role", "admin", "--password-stdin",
                                        "chief"], input="a long enough password\n", env=env)
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "chief")).one()
        assert user.role == "admin" and user.password_hash.startswith("$argon2id$")
    engine.dispose()
    again = CliRunner().invoke(users, ["create", "--role", "admin", "--password-stdin",
                                       "chief"], input="a long enough password\n", env=env)
    assert again.exit_code != 0


def test_committed_openapi_matches_the_app() -> None:
    committed = REPO / "mobile_contract" / "openapi.json"
    assert committed.read_text(encoding="utf-8") == render(openapi_document()), (
        "mobile_contract/openapi.json is stale: run 'lfr api-contract'")
    doc = json.loads(committed.read_text(encoding="utf-8"))
    assert "/ingest/alerts" in doc["paths"] and "/auth/login" in doc["paths"]


def test_contract_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n")
    result = CliRunner().invoke(contract, ["--check", "--output", str(stale)])
    assert result.exit_code != 0 and "differs" in result.output
