"""Tickets through the real requests client against a Zendesk fake, and the thread default."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from integrations.tickets import (
    ThreadTickets,
    TicketRejectedError,
    TicketsUnavailableError,
    ZendeskTickets,
    build_ticket_desk,
)
from tests.fakes.local_http import LocalHTTPServer
from tests.fakes.zendesk_server import FakeZendesk

TICKET = {
    "external_id": "run-1",
    "subject": "Support question from U0ASKER01",
    "description": "Question: can I pay with a goat?",
    "requester": "U0ASKER01",
}


@pytest.fixture
def zendesk() -> Iterator[tuple[str, FakeZendesk]]:
    fake = FakeZendesk()
    with LocalHTTPServer(fake.route) as server:
        yield server.url, fake


def _desk(url: str, fake: FakeZendesk, **overrides: str) -> ZendeskTickets:
    return ZendeskTickets(
        url, email=overrides.get("email", fake.email), api_token=overrides.get("token", fake.token)
    )


def test_a_rejected_question_becomes_a_private_zendesk_ticket_with_a_link(
    zendesk: tuple[str, FakeZendesk],
) -> None:
    url, fake = zendesk
    ticket = _desk(url, fake).open_ticket(**TICKET)
    assert (ticket.system, ticket.ticket_id, ticket.url) == (
        "Zendesk",
        "1000",
        f"{url}/agent/tickets/1000",
    )
    (stored,) = fake.tickets
    assert stored["external_id"] == "run-1"
    assert stored["comment"] == {"body": "Question: can I pay with a goat?", "public": False}
    assert "controlroom" in stored["tags"]


def test_opening_the_same_runs_ticket_again_finds_it_instead_of_opening_another(
    zendesk: tuple[str, FakeZendesk],
) -> None:
    url, fake = zendesk
    first = _desk(url, fake).open_ticket(**TICKET)
    again = _desk(url, fake).open_ticket(**TICKET)
    assert again == first
    assert len(fake.tickets) == 1


def test_a_wrong_token_is_rejected_and_an_outage_is_unavailable(
    zendesk: tuple[str, FakeZendesk],
) -> None:
    url, fake = zendesk
    with pytest.raises(TicketRejectedError, match="HTTP 401"):
        _desk(url, fake, token="wrong").open_ticket(**TICKET)
    fake.fail_next = [503]
    with pytest.raises(TicketsUnavailableError, match="HTTP 503"):
        _desk(url, fake).open_ticket(**TICKET)
    assert fake.tickets == []


def test_an_unreachable_zendesk_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    desk = ZendeskTickets(f"http://127.0.0.1:{port}", email="a@b.c", api_token="t", timeout=2)
    with pytest.raises(TicketsUnavailableError, match="unreachable"):
        desk.open_ticket(**TICKET)


def test_without_zendesk_settings_the_approval_thread_is_the_ticket() -> None:
    desk = build_ticket_desk(zendesk_url=None, zendesk_email=None, zendesk_api_token=None)
    assert isinstance(desk, ThreadTickets)
    ticket = desk.open_ticket(**TICKET)
    assert (ticket.system, ticket.ticket_id, ticket.url) == ("approval thread", "run-1", None)
    assert isinstance(
        build_ticket_desk(
            zendesk_url="https://x.zendesk.com", zendesk_email="a@b.c", zendesk_api_token="t"
        ),
        ZendeskTickets,
    )
