"""One-click unsubscribe links: signed, unguessable, refused when forged or altered."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.email import EmailError
from integrations.email.unsubscribe import (
    UnsubscribeLinks,
    UnsubscribeRequest,
    UnsubscribeTokenError,
    check_base_url,
)

SECRET = b"s" * 32
BASE = "https://controlroom.example.com/unsubscribe"


@pytest.fixture
def links() -> UnsubscribeLinks:
    return UnsubscribeLinks(BASE, SECRET)


def _token(url: str) -> str:
    assert url.startswith(BASE + "/")
    return url.removeprefix(BASE + "/")


def test_a_link_round_trips_to_the_lower_cased_address_and_the_customer(
    links: UnsubscribeLinks,
) -> None:
    url = links.url_for("  Ana.Lima@Example.COM ", 4217)
    assert url.startswith("https://controlroom.example.com/unsubscribe/1.")
    assert links.verify(_token(url)) == UnsubscribeRequest("ana.lima@example.com", 4217)
    assert links.url_for("ana.lima@example.com", 4217) == url  # the same person, the same link


def test_a_link_without_a_customer_id_round_trips_to_none(links: UnsubscribeLinks) -> None:
    token = _token(links.url_for("x@example.com", None))
    assert links.verify(token) == UnsubscribeRequest("x@example.com", None)


def test_a_trailing_slash_on_the_base_url_gives_one_slash_and_the_path(
    links: UnsubscribeLinks,
) -> None:
    slashed = UnsubscribeLinks(BASE + "/", SECRET)
    assert slashed.url_for("a@example.com", 1) == links.url_for("a@example.com", 1)
    assert slashed.path == "/unsubscribe"
    assert UnsubscribeLinks("https://u.example.com", SECRET).path == ""


def test_a_forged_token_for_someone_else_is_refused(links: UnsubscribeLinks) -> None:
    """An attacker who knows the format but not the secret cannot unsubscribe anyone."""
    payload = base64.urlsafe_b64encode(b"7:victim@example.com").rstrip(b"=").decode()
    forged_mac = hmac.new(b"guess" * 8, f"1.{payload}".encode(), hashlib.sha256).digest()
    forged = f"1.{payload}.{base64.urlsafe_b64encode(forged_mac).rstrip(b'=').decode()}"
    with pytest.raises(UnsubscribeTokenError, match="signature"):
        links.verify(forged)


def test_swapping_the_address_under_a_genuine_signature_is_refused(
    links: UnsubscribeLinks,
) -> None:
    mine = _token(links.url_for("me@example.com", 1))
    theirs = base64.urlsafe_b64encode(b"1:victim@example.com").rstrip(b"=").decode()
    version, _, signature = mine.split(".")
    with pytest.raises(UnsubscribeTokenError):
        links.verify(f"{version}.{theirs}.{signature}")


def test_a_token_made_with_another_secret_is_refused(links: UnsubscribeLinks) -> None:
    other = UnsubscribeLinks(BASE, b"o" * 32)
    with pytest.raises(UnsubscribeTokenError):
        links.verify(_token(other.url_for("a@example.com", 1)))


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "..",
        "1",
        "1..",
        "2.YUBleGFtcGxlLmNvbQ.abc",
        "1.YUBleGFtcGxlLmNvbQ",
        "1.YUBleGFtcGxlLmNvbQ.",
        "1.%%%.abc",
        "1.a b.c",
        "1." + "A" * 600 + ".x",
        "1.\u00e9\u00e9.\u00e9",
        "1.YQ.YQ.YQ",
    ],
)
def test_malformed_tokens_are_refused_with_the_package_exception(
    links: UnsubscribeLinks, token: str
) -> None:
    with pytest.raises(UnsubscribeTokenError) as refused:
        links.verify(token)
    assert isinstance(refused.value, EmailError)


def test_the_secret_never_shows_in_the_links_repr(links: UnsubscribeLinks) -> None:
    assert SECRET.decode() not in repr(links)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        UnsubscribeLinks(BASE, b"short")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://controlroom.example.com/unsubscribe", "must start with https://"),
        ("ftp://controlroom.example.com/unsubscribe", "must start with https://"),
        ("controlroom.example.com/unsubscribe", "must start with https://"),
        ("https:///unsubscribe", "has no host"),
        ("https://user:pw@controlroom.example.com/u", "user name or password"),
        ("https://controlroom.example.com/u?x=1", "query"),
        ("https://controlroom.example.com/u#top", "fragment"),
        ("https://[::1/u", "is not a URL"),
        ("https://controlroom.example.com/un%20sub", "path may hold only"),
        ("https://controlroom.example.com/{token}", "path may hold only"),
    ],
)
def test_a_base_url_that_is_not_public_https_is_refused_with_what_to_do(
    url: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        check_base_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/unsubscribe", "http://localhost/u/", "https://example.com/unsubscribe"],
)
def test_https_and_local_http_base_urls_are_accepted(url: str) -> None:
    assert check_base_url(url) == url.rstrip("/")


addresses = st.emails() | st.text(min_size=1, max_size=80).filter(lambda t: t.strip() != "")


@given(email=addresses, customer_id=st.none() | st.integers(-(2**63), 2**63 - 1))
def test_any_address_and_id_round_trip_and_any_one_character_change_is_refused(
    email: str, customer_id: int | None
) -> None:
    links = UnsubscribeLinks(BASE, SECRET)
    token = _token(links.url_for(email, customer_id))
    assert links.verify(token) == UnsubscribeRequest(email.strip().lower(), customer_id)
    for position in range(len(token)):
        for replacement in ("A", "_", "."):
            altered = token[:position] + replacement + token[position + 1 :]
            if altered != token:
                with pytest.raises(UnsubscribeTokenError):
                    links.verify(altered)


@given(token=st.text(max_size=700))
def test_no_random_text_is_accepted_or_crashes_verify(token: str) -> None:
    with pytest.raises(UnsubscribeTokenError):
        UnsubscribeLinks(BASE, SECRET).verify(token)


@pytest.mark.parametrize("email", ["", "   ", "a" * 250 + "@x.com"])
def test_no_link_is_made_for_an_empty_or_over_long_address(
    links: UnsubscribeLinks, email: str
) -> None:
    with pytest.raises(ValueError, match="1 to 254 characters"):
        links.url_for(email, 1)
