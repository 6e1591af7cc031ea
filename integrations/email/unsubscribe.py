"""Signed one-click unsubscribe links (RFC 8058): only the person an email went to can use one.

A link is ``<base>/<token>``; the token carries the person's address (lower-cased) and customer
id, signed with HMAC-SHA256 under the control room's secret, so nobody can make or alter a link
that unsubscribes someone else. Tokens do not expire (an unsubscribe link must keep working) but
are versioned, so the format can change without breaking links already sent.

``UnsubscribeTokenError`` (an ``EmailError``) refuses a malformed, forged or altered token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from integrations.email.address import MAX_ADDRESS_CHARS
from integrations.email.errors import EmailError
from integrations.text import person_key

TOKEN_VERSION = "1"
# Longer than any token we make (254 characters of up to 4 bytes each in base64, an id, the
# signature): a longer one is refused unread.
MAX_TOKEN_CHARS = 1500
# Shorter secrets are refused: the signature is only as strong as the secret behind it.
MIN_SECRET_BYTES = 32
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# Separates this use of the secret from any other HMAC made with it.
_CONTEXT = b"controlroom-unsubscribe:"
_PATH = re.compile(r"[A-Za-z0-9/._~-]*")
_PART = re.compile(r"[A-Za-z0-9_-]+")
_CUSTOMER_ID = re.compile(r"-?[0-9]{1,19}")


class UnsubscribeTokenError(EmailError):
    """An unsubscribe token that is malformed, forged or altered: nobody is unsubscribed."""


@dataclass(frozen=True, slots=True)
class UnsubscribeRequest:
    """Who a verified link unsubscribes: the address (lower-cased) and, if known, the customer."""

    email: str
    customer_id: int | None


def check_base_url(url: str) -> str:
    """The links' public base URL without its trailing slash, or ``ValueError`` saying what is
    wrong: https only (http only on 127.0.0.1 or localhost, for tests and the demo), a host, a
    plain path (the web role serves it as given), no credentials, query or fragment."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        raise ValueError(
            "is not a URL: expected e.g. https://controlroom.example.com/unsubscribe"
        ) from None
    local_http = parts.scheme == "http" and host in LOCAL_HOSTS
    if parts.scheme != "https" and not local_http:
        raise ValueError(
            f"must start with https:// (got {parts.scheme or 'no scheme'}; http:// is only for "
            "127.0.0.1 or localhost): e.g. https://controlroom.example.com/unsubscribe"
        )
    if not host:
        raise ValueError("has no host: expected e.g. https://controlroom.example.com/unsubscribe")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password")
    if parts.query or parts.fragment or url.strip().endswith(("?", "#")):
        raise ValueError("must not have a query (?…) or fragment (#…): the token is appended")
    if not _PATH.fullmatch(parts.path):
        raise ValueError("path may hold only letters, digits and / . _ ~ - (e.g. /unsubscribe)")
    return url.strip().rstrip("/")


class UnsubscribeLinks:
    """Makes and verifies the signed links under one public base URL (see the module docstring)."""

    def __init__(self, base_url: str, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the unsubscribe secret must be at least {MIN_SECRET_BYTES} bytes")
        self.base_url = check_base_url(base_url)
        self._secret = secret

    @property
    def path(self) -> str:
        """The path under which the web role serves the links (``/unsubscribe``), or ``""``."""
        return urlsplit(self.base_url).path.rstrip("/")

    def url_for(self, email: str, customer_id: int | None) -> str:
        """The https link that unsubscribes this person (the same link every time)."""
        return f"{self.base_url}/{self.token_for(email, customer_id)}"

    def token_for(self, email: str, customer_id: int | None) -> str:
        """The signed token alone (``url_for`` appends it to the base URL)."""
        key = person_key(email)
        if not key or len(key) > MAX_ADDRESS_CHARS:
            raise ValueError(
                f"an unsubscribe link needs an address of 1 to {MAX_ADDRESS_CHARS} characters"
            )
        who = "" if customer_id is None else str(int(customer_id))
        return self._sign(_encode(f"{who}:{key}".encode()))

    def verify(self, token: str) -> UnsubscribeRequest:
        """Who the token unsubscribes; ``UnsubscribeTokenError`` unless this secret made it,
        unchanged."""
        if len(token) > MAX_TOKEN_CHARS:
            raise UnsubscribeTokenError("the unsubscribe token is too long")
        version, _, rest = token.partition(".")
        if version != TOKEN_VERSION:
            raise UnsubscribeTokenError("the unsubscribe token has an unknown version")
        payload, _, _ = rest.partition(".")
        if not _PART.fullmatch(payload):
            raise UnsubscribeTokenError("the unsubscribe token is malformed")
        # Compare the whole token with the one this secret makes: any other byte, including a
        # base64 spelling that decodes to the same bytes, is refused.
        if not hmac.compare_digest(self._sign(payload).encode(), token.encode()):
            raise UnsubscribeTokenError("the unsubscribe token's signature does not match")
        try:
            who, _, email = _decode(payload).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            raise UnsubscribeTokenError("the unsubscribe token is malformed") from None
        if not email or (who and not _CUSTOMER_ID.fullmatch(who)):
            raise UnsubscribeTokenError("the unsubscribe token is malformed")
        return UnsubscribeRequest(email=email, customer_id=int(who) if who else None)

    def _sign(self, payload: str) -> str:
        signed = f"{TOKEN_VERSION}.{payload}"
        mac = hmac.new(self._secret, _CONTEXT + signed.encode(), hashlib.sha256).digest()
        return f"{signed}.{_encode(mac)}"

    def __repr__(self) -> str:
        return f"UnsubscribeLinks({self.base_url!r}, secret=***)"


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
