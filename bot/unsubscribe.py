"""The one-click unsubscribe endpoint (RFC 8058), served by the web role beside ``/slack/events``.

``POST <path>/{token}`` (a mail client's one-click, or the page's button) puts the signed link's
address on the suppression list, with its audit entry: no cookie, no JavaScript, no confirmation,
and a second POST is a 200 too. ``GET`` only shows a page with that button: mail clients and link
scanners fetch links on their own, and a fetch must never unsubscribe anyone. A forged, altered or
malformed token is a 400 with a plain sentence (logged at info: it is the sender's mistake, not
ours). Not a Slack request: the Slack signature check does not apply here, the token's does.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from controlroom.services import Services
from integrations.email.unsubscribe import UnsubscribeLinks, UnsubscribeTokenError
from integrations.statestore import StateStore, StateStoreError

logger = logging.getLogger(__name__)

REASON = "one-click unsubscribe"
ACTOR = "unsubscribe link"
INVALID = (
    "This unsubscribe link is not valid (it may have been cut short or changed). Use the link "
    "in the email exactly as it came, or reply to the email asking to unsubscribe."
)
DONE = "You are unsubscribed: {email} will get no more marketing email from Two Peaks."
UNAVAILABLE = "We could not record your unsubscribe just now; please try again in a few minutes."
# Retry-After for a database that cannot be reached: mail clients retry a one-click POST.
RETRY_AFTER_SECONDS = 300
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}
_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
)
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Unsubscribe</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}</style>
</head><body>
<h1>Unsubscribe</h1>
<p>Stop marketing email from Two Peaks to <strong>{email}</strong>?</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>
</body></html>
"""


def unsubscribe_routes(services: Services) -> list[Route]:
    """The endpoint's route under the path of ``UNSUBSCRIBE_URL``; none when it is not set."""
    if services.unsubscribe is None:
        return []
    endpoint = _endpoint(services.unsubscribe, services.state)
    return [Route(f"{services.unsubscribe.path}/{{token}}", endpoint, methods=["GET", "POST"])]


def _endpoint(
    links: UnsubscribeLinks, state: StateStore
) -> Callable[[Request], Awaitable[Response]]:
    async def unsubscribe(request: Request) -> Response:
        try:
            who = links.verify(request.path_params["token"])
        except UnsubscribeTokenError as refused:
            logger.info("unsubscribe link refused: %s", refused)
            return PlainTextResponse(INVALID, status_code=400, headers=_HEADERS)
        if request.method != "POST":
            page = _PAGE.format(email=html.escape(who.email))
            headers = {**_HEADERS, "Content-Security-Policy": _PAGE_POLICY}
            return HTMLResponse(page, headers=headers)
        try:
            added = await asyncio.to_thread(
                state.add_suppression,
                who.email,
                reason=REASON,
                actor=ACTOR,
                customer_id=who.customer_id,
            )
        except StateStoreError as error:
            logger.warning("could not record a one-click unsubscribe: %s", error)
            headers = {**_HEADERS, "Retry-After": str(RETRY_AFTER_SECONDS)}
            return PlainTextResponse(UNAVAILABLE, status_code=503, headers=headers)
        if added:
            logger.info("customer %s unsubscribed by one-click link", who.customer_id)
        return PlainTextResponse(DONE.format(email=who.email), headers=_HEADERS)

    return unsubscribe
