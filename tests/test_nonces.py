"""Signature nonces: used once within the window, by any process, across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from openecs.config import Settings
from openecs.runtime import Runtime


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return Settings(data_dir=tmp_path, database_url=url)


def test_a_nonce_is_accepted_once(settings: Settings, tmp_path: Path) -> None:
    rt = Runtime(settings, start_engine=False)
    try:
        nonce = f"n-{tmp_path.name}"
        assert rt.claim_nonce(nonce) is True
        assert rt.claim_nonce(nonce) is False
    finally:
        rt.close()


def test_a_nonce_used_before_a_restart_is_refused_after_it(settings: Settings, tmp_path: Path) -> None:
    nonce = f"restart-{tmp_path.name}"
    first = Runtime(settings, start_engine=False)
    assert first.claim_nonce(nonce)
    first.close()
    second = Runtime(settings, start_engine=False)
    try:
        assert second.claim_nonce(nonce) is False
    finally:
        second.close()


@pytest.mark.postgres
def test_two_processes_on_postgres_share_their_nonces(postgres_url: str, tmp_path: Path) -> None:
    a = Runtime(Settings(data_dir=tmp_path / "a", database_url=postgres_url), start_engine=False)
    b = Runtime(Settings(data_dir=tmp_path / "b", database_url=postgres_url), start_engine=False)
    try:
        nonce = f"shared-{tmp_path.name}"
        assert a.claim_nonce(nonce)
        assert not b.claim_nonce(nonce)
    finally:
        a.close()
        b.close()
