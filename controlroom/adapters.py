"""Which adapter the settings select for each outside system: real, or the embedded default."""

from __future__ import annotations

from dataclasses import dataclass

from controlroom.settings import Settings
from integrations.urls import mask_url


@dataclass(frozen=True, slots=True)
class AdapterChoice:
    adapter: str
    description: str
    real: bool


def adapter_choices(settings: Settings) -> list[AdapterChoice]:
    """One line per adapter, in the order of ARCHITECTURE.md's table."""
    database = settings.effective_database_url
    state_real = not database.startswith("sqlite")
    sheets = settings.google_service_account_file is not None and settings.google_sheet_id
    return [
        AdapterChoice("warehouse", f"DuckDB file {settings.effective_warehouse_path}", False),
        AdapterChoice(
            "state store",
            f"{database.split('://', 1)[0]} database" if state_real else "SQLite file under var/",
            state_real,
        ),
        AdapterChoice(
            "sheets",
            f"Google Sheets {settings.google_sheet_id}" if sheets else "the warehouse",
            bool(sheets),
        ),
        AdapterChoice("crm", "the warehouse", False),
        _email(settings),
        AdapterChoice(
            "vector store",
            f"Chroma server {mask_url(settings.chroma_url)}"
            if settings.chroma_url
            else "embedded Chroma",
            settings.chroma_url is not None,
        ),
        _llm(settings),
        AdapterChoice(
            "slack",
            "Slack workspace (tokens set)" if settings.slack_bot_token else "none: local sandbox",
            settings.slack_bot_token is not None,
        ),
        AdapterChoice(
            "tickets",
            f"Zendesk {mask_url(settings.zendesk_url)}"
            if settings.zendesk_url
            else "the approval thread",
            settings.zendesk_url is not None,
        ),
    ]


def _email(settings: Settings) -> AdapterChoice:
    if settings.sendgrid_api_key is not None:
        return AdapterChoice("email", "SendGrid", True)
    if settings.smtp_url is not None:
        return AdapterChoice("email", "SMTP", True)
    return AdapterChoice("email", "local outbox (var/outbox/)", False)


def _llm(settings: Settings) -> AdapterChoice:
    if settings.openai_api_key is None and settings.openai_base_url is None:
        return AdapterChoice("llm", "offline writer (templates over facts)", False)
    return AdapterChoice(
        "llm",
        f"OpenAI-compatible at {mask_url(settings.openai_base_url or 'api.openai.com')}",
        True,
    )
