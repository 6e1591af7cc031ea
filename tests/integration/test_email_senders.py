"""Email adapters through their real clients: files, a local SMTP server, a SendGrid fake."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from integrations.email import (
    EmailConfigError,
    EmailRejectedError,
    EmailUnavailableError,
    LocalOutboxSender,
    OutgoingEmail,
    SendGridSender,
    SmtpSender,
    build_email_sender,
)
from tests.fakes.local_http import LocalHTTPServer
from tests.fakes.sendgrid_server import FakeSendGrid


def _email(customer_id: int = 7, recipient: str = "avery.walker.7@example.com") -> OutgoingEmail:
    return OutgoingEmail(
        idempotency_key=f"run-1:{customer_id}",
        sender="Two Peaks <hello@twopeaks.example.com>",
        recipient=recipient,
        subject="We miss you on the trail",
        text="Hi Avery,\n\nHere is 15% off your next pair of boots.",
        unsubscribe_url=f"mailto:unsubscribe@twopeaks.example.com?subject=unsubscribe%20{customer_id}",
        one_click_url=f"https://twopeaks.example.com/unsubscribe?c={customer_id}",
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_outbox_writes_one_file_with_footer_and_unsubscribe_headers(tmp_path: Path) -> None:
    sender = LocalOutboxSender(tmp_path / "outbox")
    message_id = sender.send(_email())
    (path,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Message-ID"] == message_id
    assert message["To"] == "avery.walker.7@example.com"
    assert message["List-Unsubscribe"] == (
        "<https://twopeaks.example.com/unsubscribe?c=7>, "
        "<mailto:unsubscribe@twopeaks.example.com?subject=unsubscribe%207>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = message.get_content()
    assert "15% off" in body
    assert "Unsubscribe: https://twopeaks.example.com/unsubscribe?c=7" in body


def test_sending_the_same_email_to_the_outbox_twice_writes_it_once(tmp_path: Path) -> None:
    sender = LocalOutboxSender(tmp_path / "outbox")
    first = sender.send(_email())
    path = sender.path_for(_email())
    written = path.read_bytes()
    assert sender.send(_email()) == first
    assert path.read_bytes() == written
    sender.send(_email(customer_id=8))
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert not list((tmp_path / "outbox").glob("*.part"))


class _Recorder(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.Message] = []

    def handle_message(self, message: email.message.Message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Recorder]]:
    recorder = _Recorder()
    port = _free_port()  # aiosmtpd's port=0 fails its own start-up check
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, recorder
    controller.stop()


def test_smtp_delivers_the_same_message_shape(smtp_server: tuple[int, _Recorder]) -> None:
    port, recorder = smtp_server
    sender = SmtpSender(f"smtp://127.0.0.1:{port}")
    message_id = sender.send(_email())
    (received,) = recorder.messages
    assert received["Message-ID"] == message_id
    assert received["List-Unsubscribe"].startswith("<https://twopeaks.example.com/unsubscribe?c=7>")
    assert "Unsubscribe:" in received.get_payload()


def test_an_unreachable_smtp_server_is_unavailable_not_a_crash() -> None:
    sender = SmtpSender(f"smtp://127.0.0.1:{_free_port()}", timeout=2)
    with pytest.raises(EmailUnavailableError, match="SMTP server 127.0.0.1"):
        sender.send(_email())


def test_a_malformed_smtp_url_is_refused_with_the_expected_shape() -> None:
    with pytest.raises(EmailConfigError, match="smtp://user:password@host:587"):
        SmtpSender("mail.example.com:25")


@pytest.fixture
def sendgrid() -> Iterator[tuple[str, FakeSendGrid]]:
    fake = FakeSendGrid()
    with LocalHTTPServer(fake.route) as server:
        yield server.url, fake


def test_sendgrid_sends_with_unsubscribe_headers_and_the_idempotency_key(
    sendgrid: tuple[str, FakeSendGrid],
) -> None:
    url, fake = sendgrid
    message_id = SendGridSender(fake.api_key, host=url).send(_email())
    assert message_id == "fake-1"
    (payload,) = fake.sent
    assert payload["personalizations"][0]["to"][0]["email"] == "avery.walker.7@example.com"
    assert payload["headers"]["List-Unsubscribe"].startswith(
        "<https://twopeaks.example.com/unsubscribe?c=7>"
    )
    assert payload["custom_args"] == {"idempotency_key": "run-1:7"}
    assert "Unsubscribe:" in payload["content"][0]["value"]


def test_a_wrong_sendgrid_key_stops_the_send_as_a_configuration_error_with_sendgrids_reason(
    sendgrid: tuple[str, FakeSendGrid],
) -> None:
    url, _ = sendgrid
    with pytest.raises(EmailConfigError, match="HTTP 401.*authorization grant is invalid"):
        SendGridSender("SG.wrong", host=url).send(_email())


def test_a_bad_address_is_rejected_and_a_sendgrid_outage_is_unavailable(
    sendgrid: tuple[str, FakeSendGrid],
) -> None:
    url, fake = sendgrid
    sender = SendGridSender(fake.api_key, host=url)
    with pytest.raises(EmailRejectedError, match="valid address"):
        sender.send(_email(recipient="bounce@nowhere.example.com"))
    fake.fail_next = [500]
    with pytest.raises(EmailUnavailableError):
        sender.send(_email())
    assert sender.send(_email()) == "fake-1"


def test_an_unreachable_sendgrid_is_unavailable() -> None:
    sender = SendGridSender("SG.x", host=f"http://127.0.0.1:{_free_port()}", timeout=2)
    with pytest.raises(EmailUnavailableError):
        sender.send(_email())


@pytest.mark.parametrize(
    "recipient",
    [
        "not-an-address",
        "a@localhost",
        "@example.com",
        "a b@x.com",
        "victim@example.com, attacker@evil.example",
        "Attacker <a@evil.example>",
        "a@example.com\r\nBcc: b@evil.example",
        "a@example.com\u2028",
    ],
)
def test_an_impossible_address_is_rejected_before_any_provider_sees_it(
    tmp_path: Path, recipient: str
) -> None:
    with pytest.raises(EmailRejectedError, match="is not one email address"):
        LocalOutboxSender(tmp_path).send(_email(recipient=recipient))
    assert not list(tmp_path.iterdir())


def test_the_sender_is_chosen_sendgrid_then_smtp_then_outbox(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    assert (
        build_email_sender(sendgrid_api_key="SG.k", smtp_url="smtp://h", outbox_folder=outbox).name
        == "SendGrid"
    )
    assert (
        build_email_sender(sendgrid_api_key=None, smtp_url="smtp://h", outbox_folder=outbox).name
        == "SMTP"
    )
    assert (
        build_email_sender(sendgrid_api_key=None, smtp_url=None, outbox_folder=outbox).name
        == "local outbox"
    )
