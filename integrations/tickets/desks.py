"""``TicketDesk``: the approval thread (embedded default) and Zendesk's Tickets API."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import requests

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 20


class TicketsError(RuntimeError):
    """Base of the ticket adapters' exceptions."""


class TicketRejectedError(TicketsError):
    """The ticket system refused the request; retrying will not help."""


class TicketsUnavailableError(TicketsError):
    """The ticket system could not be reached or failed; the step may be retried."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """Where a ticket lives: ``system`` ("approval thread" or "Zendesk"), its id and link."""

    system: str
    ticket_id: str
    url: str | None


class TicketDesk(Protocol):
    name: str

    def open_ticket(
        self, *, external_id: str, subject: str, description: str, requester: str
    ) -> Ticket: ...


class ThreadTickets:
    """No ticket system: the approval thread where the question was discussed is the ticket."""

    name = "approval thread"

    def open_ticket(
        self, *, external_id: str, subject: str, description: str, requester: str
    ) -> Ticket:
        return Ticket(system=self.name, ticket_id=external_id, url=None)


class ZendeskTickets:
    """Zendesk Support's Tickets API (``https://{subdomain}.zendesk.com``), API-token auth."""

    name = "Zendesk"

    def __init__(
        self,
        url: str,
        *,
        email: str,
        api_token: str,
        session: requests.Session | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._url = url.rstrip("/")
        self._session = session or requests.Session()
        self._session.auth = (f"{email}/token", api_token)
        self._timeout = timeout

    def open_ticket(
        self, *, external_id: str, subject: str, description: str, requester: str
    ) -> Ticket:
        """Open a ticket, or find the one already opened for ``external_id``."""
        found = self._call("GET", "/api/v2/tickets.json", params={"external_id": external_id})
        existing = found.get("tickets") or []
        if existing:
            logger.info("Zendesk ticket %s already open for %s", existing[0]["id"], external_id)
            return self._ticket(existing[0])
        created = self._call(
            "POST",
            "/api/v2/tickets.json",
            json={
                "ticket": {
                    "subject": subject,
                    "comment": {"body": description, "public": False},
                    "external_id": external_id,
                    "tags": ["controlroom", "escalated"],
                    "requester": {"name": requester},
                }
            },
        )
        return self._ticket(created["ticket"])

    def _ticket(self, data: dict[str, Any]) -> Ticket:
        ticket_id = str(data["id"])
        return Ticket(
            system=self.name, ticket_id=ticket_id, url=f"{self._url}/agent/tickets/{ticket_id}"
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._session.request(
                method, self._url + path, timeout=self._timeout, **kwargs
            )
        except requests.RequestException as error:
            raise TicketsUnavailableError(f"Zendesk unreachable: {error}") from error
        if response.status_code in (401, 403, 404, 422):
            raise TicketRejectedError(
                f"Zendesk refused the ticket: HTTP {response.status_code} {response.text[:300]}"
            )
        if response.status_code >= 400:
            raise TicketsUnavailableError(f"Zendesk failed: HTTP {response.status_code}")
        body: dict[str, Any] = response.json()
        return body


def build_ticket_desk(
    *, zendesk_url: str | None, zendesk_email: str | None, zendesk_api_token: str | None
) -> TicketDesk:
    """Zendesk when its URL, email and token are all set; otherwise the approval thread."""
    if zendesk_url and zendesk_email and zendesk_api_token:
        return ZendeskTickets(zendesk_url, email=zendesk_email, api_token=zendesk_api_token)
    return ThreadTickets()
