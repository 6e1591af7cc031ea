"""Settings come from the environment and `.env`, with PostgreSQL URLs pointed at psycopg 3."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from controlroom.settings import Settings, SettingsError


def test_embedded_defaults_need_no_variables(isolated_environment: Path) -> None:
    settings = Settings()
    assert settings.effective_database_url == f"sqlite:///{isolated_environment}/controlroom.db"
    assert settings.effective_warehouse_path == isolated_environment / "warehouse.duckdb"
    assert settings.openai_api_key is None


def test_a_dot_env_file_in_the_working_folder_is_read() -> None:
    Path(".env").write_text("OPENAI_BASE_URL=http://127.0.0.1:8080/v1\nOPENAI_API_KEY=sk-local\n")
    settings = Settings()
    assert settings.openai_base_url == "http://127.0.0.1:8080/v1"
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-local"
    assert "sk-local" not in repr(settings)


def test_the_environment_wins_over_dot_env(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("OPENAI_BASE_URL=http://from-dot-env/v1\n")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://from-environment/v1")
    assert Settings().openai_base_url == "http://from-environment/v1"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db:5432/cr", "postgresql+psycopg://u:p@db:5432/cr"),
        ("postgresql://u@db/cr", "postgresql+psycopg://u@db/cr"),
        ("postgresql+psycopg://u@db/cr", "postgresql+psycopg://u@db/cr"),
        ("sqlite:////srv/state.db", "sqlite:////srv/state.db"),
    ],
)
def test_database_urls_as_hosts_hand_them_out_use_psycopg_3(
    monkeypatch: pytest.MonkeyPatch, given: str, used: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert Settings().effective_database_url == used


def test_a_dot_env_file_that_is_not_utf8_is_refused_with_the_byte_offset() -> None:
    Path(".env").write_bytes(b"EMAIL_FROM=Caf\xe9 <hello@example.com>\n")
    with pytest.raises(SettingsError) as refused:
        Settings()
    assert str(refused.value) == ".env: not UTF-8 text (byte offset 14); save the file as UTF-8"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ops:hunter2@db:notaport/cr",
        "mysql://ops:hunter2@db/cr",
        "postgresql+psycopg2://ops:hunter2@db/cr",
        "not a url hunter2",
    ],
)
def test_a_database_url_the_state_store_cannot_use_is_refused_without_its_password(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ValidationError) as refused:
        Settings()
    first = refused.value.errors(include_url=False)[0]
    assert first["loc"] == ("DATABASE_URL",)
    assert "expected sqlite:///path or postgresql://" in first["msg"]
    assert "hunter2" not in str(refused.value)
