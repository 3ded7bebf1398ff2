"""Encryption at rest: biometric data is AES-GCM ciphertext in the database, a wrong key
refuses to decrypt and changes nothing, the service refuses to start without a key (unless
in development mode, which it announces), and ``lfr keys rotate`` re-encrypts everything,
surviving a crash halfway."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from lfr_api.accountability import check_data_keys
from lfr_api.app import create_app
from lfr_api.biometrics.crypto import DataKey, DataKeyError, Keyring, blob_key_id, keyring_from_env
from lfr_api.biometrics.keys import rotate
from lfr_api.biometrics.storage import aad, probe_crop, probe_template, watchlist_image
from lfr_api.cli.ops import keys
from lfr_api.db.engine import Database, audit_trail
from lfr_api.db.models import AlertMedia, WatchlistImage
from lfr_api.security.roles import Role
from lfr_api.settings import Settings
from lfr_api.testing.api import TEST_DATA_KEY, Api, build_api, make_settings
from lfr_api.testing.data import LiveDeployment, crop_of, ingest_alert, live_deployment
from litestar.testing import TestClient
from sqlmodel import Session, select

from lfr_framework.errors import ConfigurationError
from lfr_framework.plugins import PluginHost

IMAGES = WatchlistImage.__table__  # type: ignore[attr-defined]
MEDIA = AlertMedia.__table__  # type: ignore[attr-defined]


class Killed(BaseException):
    """Stands for the process being killed mid-rotation."""


@pytest.fixture(scope="module")
def stored(api: Api, photo_bytes: dict[str, bytes]) -> dict[str, Any]:
    """One enrolled image (and template) and two alerts with crops, one with a template."""
    from lfr_api.testing.data import as_stored, in_process_alert

    live = live_deployment(api, photo_bytes["obama"])
    crop = crop_of(photo_bytes["obama2"])
    template = np.random.default_rng(7).standard_normal((1, 128)).astype(np.float32)
    a1 = ingest_alert(api, live, crop=crop)
    a2 = in_process_alert(api, live, photo_bytes["obama3"], template)
    return {"live": live, "crop": as_stored(crop), "template": template, "alerts": [a1, a2],
            "photo": as_stored(photo_bytes["obama"])}


def _rows(engine: sa.Engine) -> list[tuple[str, str, str, bytes]]:
    """(table, row id, part, ciphertext) of every stored biometric part."""
    out = []
    with engine.connect() as conn:
        for r in conn.execute(sa.select(IMAGES)):
            out += [("watchlist_images", r.id, "image", r.data),
                    ("watchlist_images", r.id, "template", r.template)]
        for r in conn.execute(sa.select(MEDIA)):
            out.append(("alert_media", r.alert_id, "probe_crop", r.data))
            if r.template is not None:
                out.append(("alert_media", r.alert_id, "probe_template", r.template))
    return [row for row in out if row[3] is not None]


def _readable(rows: list[tuple[str, str, str, bytes]], keyring: Keyring) -> list[bool]:
    out = []
    for table, row_id, part, blob in rows:
        try:
            keyring.decrypt(blob, aad(table, row_id, part), "item")
            out.append(True)
        except DataKeyError:
            out.append(False)
    return out


def test_biometric_data_is_ciphertext_and_reads_back(api: Api, stored: dict[str, Any]) -> None:
    live: LiveDeployment = stored["live"]
    rows = _rows(api.ctx.db.engine)
    assert rows and all(blob_key_id(b) == TEST_DATA_KEY.key_id for *_, b in rows)
    blobs = b"".join(b for *_, b in rows)
    assert stored["photo"][1000:1064] not in blobs and stored["crop"][200:264] not in blobs
    assert stored["template"].tobytes()[:64] not in blobs
    nonces = [b[9:21] for *_, b in rows]
    assert len(set(nonces)) == len(nonces)  # a fresh nonce per item
    h = api.headers[Role.officer]
    assert api.client.get(f"/watchlist-images/{live.image_id}", headers=h).content == \
        stored["photo"]
    crop = api.client.get(f"/alerts/{stored['alerts'][0]}/probe-crop", headers=h)
    assert crop.content == stored["crop"]
    with api.ctx.db.session() as session:
        template = probe_template(session, stored["alerts"][1])
    assert template is not None and np.array_equal(template, stored["template"])


def test_a_ciphertext_moved_to_another_item_does_not_decrypt(
        api: Api, stored: dict[str, Any]) -> None:
    a1, a2 = stored["alerts"]
    with api.ctx.db.engine.connect() as conn:
        blob = conn.execute(sa.select(MEDIA.c.data).where(MEDIA.c.alert_id == a1)).scalar_one()
    with pytest.raises(DataKeyError, match="authentication failed"):
        api.ctx.db.vault.decrypt(blob, aad("alert_media", a2, "probe_crop"), "moved")  # type: ignore[union-attr]


def test_a_wrong_data_key_refuses_to_decrypt_says_so_and_loses_nothing(
        api: Api, stored: dict[str, Any], plugin_host: PluginHost, database_url: str) -> None:
    live: LiveDeployment = stored["live"]
    before = _rows(api.ctx.db.engine)
    wrong = Database(api.ctx.db.engine, vault=Keyring(DataKey.generate()), audit=audit_trail())
    with wrong.session() as session, pytest.raises(DataKeyError) as err:
        watchlist_image(session, live.image_id)
    assert TEST_DATA_KEY.key_id in str(err.value) and "LFR_DATA_KEY" in str(err.value)
    with wrong.session() as session, pytest.raises(DataKeyError):
        probe_crop(session, stored["alerts"][0])
    # A whole service started with the wrong key answers with a clear problem, not data.
    other = build_api(plugin_host, database_url, data_keys=Keyring(DataKey.generate()))
    wrong_api = next(other)
    try:
        r = wrong_api.client.get(f"/watchlist-images/{live.image_id}",
                                 headers=wrong_api.headers[Role.officer])
        assert r.status_code == 500 and "data key" in r.json()["detail"]
        assert TEST_DATA_KEY.key_id in r.json()["detail"]
        said: list[str] = []  # said at start-up, too (the app's logging config replaced
        handler = logging.Handler(logging.ERROR)  # the root handlers: listen right here)
        handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
        logging.getLogger("lfr_api").addHandler(handler)
        try:
            in_use = check_data_keys(wrong_api.ctx)
        finally:
            logging.getLogger("lfr_api").removeHandler(handler)
        assert in_use[TEST_DATA_KEY.key_id] >= 2
        assert any("cannot be read" in m and TEST_DATA_KEY.key_id in m for m in said)
    finally:
        other.close()
    assert _rows(api.ctx.db.engine) == before  # nothing overwritten
    with api.ctx.db.session() as session:
        assert watchlist_image(session, live.image_id) is not None


def test_the_service_refuses_to_start_without_a_key(tmp_path: Path, caplog: Any) -> None:
    env = {"LFR_HOME": str(tmp_path), "LFR_JWT_SECRET": "s" * 40}
    with pytest.raises(ConfigurationError, match="LFR_DATA_KEY is not set"):
        Settings.from_env(env)
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", data_keys=None)
    with pytest.raises(ConfigurationError, match="no data key"):
        create_app(settings, host=PluginHost(load_entry_points=False))
    with pytest.raises(ConfigurationError, match="base64"):
        Settings.from_env({**env, "LFR_DATA_KEY": "not a key!"})
    with pytest.raises(ConfigurationError, match="32 bytes"):
        Settings.from_env({**env, "LFR_DATA_KEY": "c2hvcnQ="})
    key_file = tmp_path / "data.key"
    key_file.write_text(DataKey.generate().base64() + "\n")
    from_file = Settings.from_env({**env, "LFR_DATA_KEY_FILE": str(key_file)})
    assert from_file.data_keys is not None and not from_file.data_keys.development


def test_development_mode_runs_with_a_public_key_and_says_so_loudly(
        tmp_path: Path, caplog: Any) -> None:
    import lfr_retention_default.plugin

    keyring = keyring_from_env({}, dev_mode=True)
    assert keyring.development
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'dev.db'}", data_keys=None,
                             dev_mode=True)
    host = PluginHost(load_entry_points=False)
    host.register_plugin(lfr_retention_default.plugin, name="retention_default")
    with caplog.at_level(logging.WARNING, logger="lfr_api"):
        app = create_app(settings, host=host)
    assert "DEVELOPMENT MODE" in caplog.text and "PUBLIC development key" in caplog.text
    with TestClient(app) as client:
        assert client.get("/health").json()["mode"] == "development"
    app.state["ctx"].db.engine.dispose()


def test_rotation_survives_a_crash_halfway_and_then_moves_everything(
        api: Api, stored: dict[str, Any], tmp_path: Path, database_url: str) -> None:
    engine = api.ctx.db.engine
    old, new = TEST_DATA_KEY, DataKey.generate()
    rows = _rows(engine)
    assert len(rows) >= 5
    done = []

    def crash_after_one(table: str, row_id: str) -> None:
        done.append(row_id)
        raise Killed

    with pytest.raises(Killed):
        rotate(engine, api.ctx.db.audit, new, [old], actor="test", on_item=crash_after_one)
    halfway = _rows(engine)
    under_old, under_new = _readable(halfway, Keyring(old)), _readable(halfway, Keyring(new))
    assert all(a != b for a, b in zip(under_old, under_new, strict=True))  # exactly one key
    assert any(under_new) and any(under_old)
    # The server holds both keys during a rotation: everything stays readable.
    api.ctx.db.vault = Keyring(new, [old])
    live: LiveDeployment = stored["live"]
    h = api.headers[Role.officer]
    assert api.client.get(f"/watchlist-images/{live.image_id}", headers=h).content == \
        stored["photo"]
    # Finish with the CLI (new key from a file, old key from the environment).
    new_file = tmp_path / "new.key"
    new_file.write_text(new.base64())
    result = CliRunner().invoke(keys, ["rotate", "--database-url", database_url,
                                       "--new-key-file", str(new_file)],
                                env={"LFR_OLD_DATA_KEY": old.base64()})
    assert result.exit_code == 0, result.output
    assert "the old key can be destroyed" in result.output
    after = _rows(engine)
    assert len(after) == len(rows)
    assert all(_readable(after, Keyring(new))) and not any(_readable(after, Keyring(old)))
    api.ctx.db.vault = Keyring(new)
    assert api.client.get(f"/watchlist-images/{live.image_id}", headers=h).content == \
        stored["photo"]
    assert api.client.get(f"/alerts/{stored['alerts'][0]}/probe-crop",
                          headers=h).content == stored["crop"]
    status = CliRunner().invoke(keys, ["status", "--database-url", database_url],
                                env={"LFR_DATA_KEY": new.base64()})
    assert f"{new.key_id}: {len({(t, i) for t, i, *_ in after})} item(s) (configured)" in \
        status.output
    with Session(engine) as session:
        actions = session.exec(select(sa.column("action")).select_from(
            sa.table("audit_log"))).all()
    assert "keys.rotation_started" in actions and "keys.rotated" in actions
    api.ctx.db.vault = Keyring(TEST_DATA_KEY)  # put the module's key back for other tests
    rotate(engine, api.ctx.db.audit, TEST_DATA_KEY, [new], actor="test")


def test_rotating_with_a_wrong_old_key_stops_and_loses_nothing(
        api: Api, stored: dict[str, Any]) -> None:
    engine = api.ctx.db.engine
    before = _rows(engine)
    with pytest.raises(DataKeyError, match=TEST_DATA_KEY.key_id):
        rotate(engine, api.ctx.db.audit, DataKey.generate(), [DataKey.generate()],
               actor="test")
    assert _rows(engine) == before


def test_keys_generate_writes_a_private_key_file(tmp_path: Path) -> None:
    out = tmp_path / "k"
    result = CliRunner().invoke(keys, ["generate", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    key = DataKey.from_file(out, "test")
    assert key.key_id in result.output and key.key.hex() not in result.output
    again = CliRunner().invoke(keys, ["generate", "--out", str(out)])
    assert again.exit_code != 0 and "not overwriting" in again.output


@pytest.fixture(scope="module", autouse=True)
def _restore_key(api: Api) -> Iterator[None]:
    yield
    api.ctx.db.vault = Keyring(TEST_DATA_KEY)
