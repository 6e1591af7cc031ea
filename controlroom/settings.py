"""Secrets and locations, read from the environment (and ``.env``) once.

This is the only module that reads the environment. Behaviour (thresholds, channels, schedule)
lives in ``policies/*.yaml``, not here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

import policies
import prompts
from integrations.email.unsubscribe import MIN_SECRET_BYTES, check_base_url

MAKE_SECRET = "make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"

# The drivers the state store and the checkpointers are built for (after normalising).
_DATABASE_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")


class SettingsError(ValueError):
    """The ``.env`` file cannot be read; the message is one line naming it."""


class Settings(BaseSettings):
    """Every variable the control room reads; `.env.example` lists the same names."""

    # Errors never echo a value: DATABASE_URL and the tokens are secrets.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except UnicodeDecodeError as error:
            env_file = values.get("_env_file", self.model_config.get("env_file"))
            raise SettingsError(
                f"{env_file}: not UTF-8 text (byte offset {error.start}); save the file as UTF-8"
            ) from None

    # Where the embedded defaults keep their files.
    var_dir: Path = Field(default=Path("var"), validation_alias="CONTROLROOM_VAR_DIR")
    policies_dir: Path = Field(
        default=Path(policies.__file__).parent, validation_alias="CONTROLROOM_POLICIES_DIR"
    )
    prompts_dir: Path = Field(
        default=Path(prompts.__file__).parent, validation_alias="CONTROLROOM_PROMPTS_DIR"
    )

    # The help centre's Markdown articles (default: the `knowledge_base` package's own).
    kb_dir: Path | None = Field(default=None, validation_alias="CONTROLROOM_KB_DIR")

    # State store: SQLite under var/ unless DATABASE_URL names another database.
    database_url: SecretStr | None = Field(default=None, validation_alias="DATABASE_URL")
    # Warehouse: DuckDB file under var/ unless WAREHOUSE_PATH says otherwise.
    warehouse_path: Path | None = Field(default=None, validation_alias="WAREHOUSE_PATH")

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    # The Web API the app calls: Slack's own, or the local sandbox of `controlroom demo`.
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")

    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")

    google_service_account_file: Path | None = Field(
        default=None, validation_alias="GOOGLE_SERVICE_ACCOUNT_FILE"
    )
    google_sheet_id: str | None = Field(default=None, validation_alias="GOOGLE_SHEET_ID")

    sendgrid_api_key: SecretStr | None = Field(default=None, validation_alias="SENDGRID_API_KEY")
    smtp_url: SecretStr | None = Field(default=None, validation_alias="SMTP_URL")
    email_from: str = Field(default="Two Peaks <hello@example.com>", validation_alias="EMAIL_FROM")

    chroma_url: str | None = Field(default=None, validation_alias="CHROMA_URL")

    # The task queue's Redis (``redis://host:6379/0``): with it, `serve` enqueues the workflows
    # for `controlroom worker` processes; without it, they run in serve's own process pool.
    broker_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "BROKER_URL")
    )
    # Put before every Redis key the queue uses: deployments (or test runs) can share a Redis.
    broker_prefix: str = Field(default="controlroom:", validation_alias="BROKER_PREFIX")
    # Seconds after which a task taken by a worker that never acknowledged it (the worker died)
    # is given to another. A task still running after this long is given to a second worker too,
    # so keep it above the longest workflow.
    broker_visibility_timeout: int = Field(
        default=3600, ge=1, validation_alias="BROKER_VISIBILITY_TIMEOUT"
    )
    # A task the broker has delivered this many times (its workers died with it) is not run
    # again: its run is failed, "given up after N deliveries", and the person told.
    broker_max_deliveries: int = Field(default=3, ge=1, validation_alias="BROKER_MAX_DELIVERIES")

    zendesk_url: str | None = Field(default=None, validation_alias="ZENDESK_URL")
    zendesk_email: str | None = Field(default=None, validation_alias="ZENDESK_EMAIL")
    zendesk_api_token: SecretStr | None = Field(default=None, validation_alias="ZENDESK_API_TOKEN")

    # One-click unsubscribe (RFC 8058): the secret that signs the links, and the public https
    # base the web role serves them under. Without the URL, emails carry mailto only.
    unsubscribe_secret: SecretStr | None = Field(
        default=None, validation_alias="UNSUBSCRIBE_SECRET"
    )
    unsubscribe_url: str | None = Field(default=None, validation_alias="UNSUBSCRIBE_URL")

    @field_validator("unsubscribe_secret")
    @classmethod
    def _strong_unsubscribe_secret(cls, value: SecretStr | None) -> SecretStr | None:
        secret = value.get_secret_value() if value is not None else ""
        if not secret.strip():
            return None
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"is shorter than {MIN_SECRET_BYTES} characters: {MAKE_SECRET}")
        return value

    @field_validator("unsubscribe_url")
    @classmethod
    def _public_unsubscribe_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value or not value.strip():
            return None
        url = check_base_url(value)
        if info.data.get("unsubscribe_secret") is None:
            raise ValueError(f"needs UNSUBSCRIBE_SECRET to sign the links: {MAKE_SECRET}")
        return url

    @field_validator("broker_url")
    @classmethod
    def _redis_broker(cls, value: SecretStr | None) -> SecretStr | None:
        url = value.get_secret_value().strip() if value is not None else ""
        if not url:
            return None
        if not url.startswith(("redis://", "rediss://")):
            raise ValueError("expected redis://host:6379/0 (or rediss:// for TLS)")
        return value

    @field_validator("database_url")
    @classmethod
    def _usable_database(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        try:
            driver = make_url(normalise_database_url(value.get_secret_value())).drivername
        except (ArgumentError, ValueError):
            driver = None
        if driver not in _DATABASE_DRIVERS:
            found = f" (got a {driver} URL)" if driver else ""
            raise ValueError(
                "expected sqlite:///path or postgresql://user:password@host:5432/name" + found
            )
        return value

    @property
    def effective_database_url(self) -> str:
        """The state store's SQLAlchemy URL: ``DATABASE_URL`` or the SQLite file under var/."""
        if self.database_url is not None:
            return normalise_database_url(self.database_url.get_secret_value())
        return f"sqlite:///{(self.var_dir / 'controlroom.db').as_posix()}"

    @property
    def effective_warehouse_path(self) -> Path:
        """The DuckDB warehouse file."""
        return self.warehouse_path or self.var_dir / "warehouse.duckdb"


def normalise_database_url(url: str) -> str:
    """Point plain ``postgres://`` and ``postgresql://`` URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url
