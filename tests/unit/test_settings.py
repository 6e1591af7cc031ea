"""Settings come from the environment and `.env`, with PostgreSQL URLs pointed at psycopg 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.settings import Settings


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
