"""Tickets for support questions a person rejected: Zendesk when configured, else the approval
thread itself is the ticket.

Opening a ticket is idempotent by ``external_id`` (the run id): a workflow step that re-runs
after a crash finds the ticket it opened instead of opening another.

Exceptions::

    TicketsError
     ├── TicketRejectedError      the ticket system refused (bad credentials, bad fields)
     └── TicketsUnavailableError  unreachable or failing: the step can be retried
"""

from integrations.tickets.desks import (
    ThreadTickets,
    Ticket,
    TicketDesk,
    TicketRejectedError,
    TicketsError,
    TicketsUnavailableError,
    ZendeskTickets,
    build_ticket_desk,
)

__all__ = [
    "ThreadTickets",
    "Ticket",
    "TicketDesk",
    "TicketRejectedError",
    "TicketsError",
    "TicketsUnavailableError",
    "ZendeskTickets",
    "build_ticket_desk",
]
