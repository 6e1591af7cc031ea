"""The composition root: build every adapter once from settings and policies, pass it down."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

import policies
import prompts
from agents.support import (
    DEFAULT_KB_DIR,
    IngestReport,
    KnowledgeBase,
    load_chunks,
    stored_human_answers,
)
from controlroom.settings import Settings
from integrations.email import EmailSender, build_email_sender
from integrations.email.unsubscribe import UnsubscribeLinks
from integrations.llm import LanguageModel, build_language_model
from integrations.statestore import StateStore
from integrations.tickets import TicketDesk, build_ticket_desk
from integrations.warehouse import Warehouse

if TYPE_CHECKING:
    from workflows.approvals import ApprovalDesk


@dataclass(frozen=True)
class Services:
    """What the workflows, the bot and the CLI need; built by ``build_services`` only.

    ``dataclasses.replace`` gives services with one adapter swapped (another email sender, a
    ticket desk), whose ``desk`` is built anew over them.
    """

    settings: Settings
    policies: policies.Policies
    prompts: dict[str, prompts.AgentPrompts]
    state: StateStore
    warehouse: Warehouse
    llm: LanguageModel
    email: EmailSender
    tickets: TicketDesk
    # The signed one-click unsubscribe links, when UNSUBSCRIBE_URL is set: the sender and the
    # web role share this one object.
    unsubscribe: UnsubscribeLinks | None = None

    @cached_property
    def desk(self) -> ApprovalDesk:
        """The approval desk over every workflow that pauses for a person, built once."""
        # Here, not at the top: the workflows (LangGraph) load only where a desk is used.
        from controlroom.desk import approval_desk

        return approval_desk(self)

    def close(self) -> None:
        """Release database and HTTP connections."""
        self.state.close()
        self.llm.close()


def build_services(settings: Settings) -> Services:
    """Validate the behaviour files, open the state store (migrated) and the warehouse.

    Raises ``policies.PolicyError`` / ``prompts.PromptError`` with a one-line message when a
    behaviour file is wrong, before anything else starts.
    """
    loaded_policies = policies.load_policies(settings.policies_dir)
    loaded_prompts = prompts.load_prompts(settings.prompts_dir)
    state = StateStore(settings.effective_database_url)
    state.migrate()
    return Services(
        settings=settings,
        policies=loaded_policies,
        prompts=loaded_prompts,
        state=state,
        warehouse=Warehouse(settings.effective_warehouse_path),
        llm=build_language_model(
            settings.openai_api_key, settings.openai_base_url, loaded_policies.models
        ),
        email=build_email_sender(
            sendgrid_api_key=_secret(settings.sendgrid_api_key),
            smtp_url=_secret(settings.smtp_url),
            outbox_folder=settings.var_dir / "outbox",
        ),
        tickets=build_ticket_desk(
            zendesk_url=settings.zendesk_url,
            zendesk_email=settings.zendesk_email,
            zendesk_api_token=_secret(settings.zendesk_api_token),
        ),
        unsubscribe=unsubscribe_links(settings),
    )


def unsubscribe_links(settings: Settings) -> UnsubscribeLinks | None:
    """The one-click unsubscribe links, or None without ``UNSUBSCRIBE_URL`` (mailto only)."""
    if settings.unsubscribe_url is None or settings.unsubscribe_secret is None:
        return None
    secret = settings.unsubscribe_secret.get_secret_value().encode()
    return UnsubscribeLinks(settings.unsubscribe_url, secret)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


# One knowledge base per process and configuration, kept warm: its embedding session, glossary
# and lexical snapshot cost ~0.5 s to build, more than answering a question. A few are kept
# (tests and the demo build services for several var folders in one process).
_KNOWLEDGE_BASES: OrderedDict[tuple[str, ...], KnowledgeBase] = OrderedDict()
_KEPT = 4
_FIRST_INGEST = threading.Lock()


def build_knowledge_base(services: Services, *, bulk: bool = False) -> KnowledgeBase:
    """A new support knowledge base over the configured vector store; ``bulk`` embeds on every
    core (ingesting, rebuilding, evaluating: 2x faster here), else on one thread (answering a
    question beside the other work of the process)."""
    # Here, not at the top: chromadb loads only in a process that answers support questions.
    from integrations.vectorstore.chroma import build_vector_store

    store = build_vector_store(
        services.settings.var_dir,
        services.settings.chroma_url,
        threads=(os.cpu_count() or 1) if bulk else 1,
    )
    return KnowledgeBase(store, services.policies.support.retrieval)


def ready_knowledge_base(services: Services) -> KnowledgeBase:
    """The process's knowledge base for these services' store and retrieval settings, built
    once and kept warm, with the help centre ingested first whenever the collection is empty
    (once: a second thread asking meanwhile waits for that ingest, not starting its own). Writes by
    other processes reach it through the store's revision (``KnowledgeBase``)."""
    settings = services.settings
    key = (
        str(settings.var_dir.resolve()),
        settings.chroma_url or "",
        str(knowledge_base_folder(settings).resolve()),
        services.policies.support.retrieval.model_dump_json(),
    )
    with _FIRST_INGEST:
        kb = _KNOWLEDGE_BASES.get(key) or build_knowledge_base(services)
        if kb.store.count(kb.collection) == 0:
            # Every process (a worker machine's too) may find it empty: one ingests.
            with services.state.exclusive("knowledge_base"):
                if kb.store.count(kb.collection) == 0:
                    build_knowledge_base(services, bulk=True).ingest(
                        load_chunks(knowledge_base_folder(settings))
                    )
        _KNOWLEDGE_BASES[key] = kb
        _KNOWLEDGE_BASES.move_to_end(key)
        while len(_KNOWLEDGE_BASES) > _KEPT:
            _KNOWLEDGE_BASES.popitem(last=False)
    return kb


def rebuild_knowledge_base(services: Services, source: Path | None = None) -> IngestReport:
    """Drop the knowledge base, re-ingest the help centre (``source``, default the configured
    folder) and re-add every human answer in the state store (``kb rebuild``, the clock's
    nightly job), holding the state store's "knowledge_base" lock: another process's rebuild,
    ingest or learnt answer waits rather than being dropped half-way (a Chroma server is
    shared by every worker)."""
    chunks = load_chunks(source or knowledge_base_folder(services.settings))
    kb = build_knowledge_base(services, bulk=True)
    with services.state.exclusive("knowledge_base"):
        return kb.rebuild(chunks, stored_human_answers(services.state))


def knowledge_base_folder(settings: Settings) -> Path:
    """Where the help centre's Markdown articles are."""
    return settings.kb_dir or DEFAULT_KB_DIR
