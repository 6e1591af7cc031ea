"""The approval desk is built once per ``Services``: the CLI, the Slack app and the tests decide
through the same one, and services with another adapter swapped in get a desk of their own."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

from controlroom.services import Services
from integrations.email import LocalOutboxSender
from workflows.winback import WORKFLOW as WINBACK


def test_services_build_their_approval_desk_once(services: Services) -> None:
    desk = services.desk
    assert services.desk is desk
    assert desk.state is services.state
    assert set(desk.workflows) == {"winback", "support"}


def test_services_with_another_email_sender_get_a_desk_that_sends_through_it(
    services: Services, tmp_path: Path
) -> None:
    sender = LocalOutboxSender(tmp_path / "elsewhere")
    swapped = replace(services, email=sender)
    assert swapped.desk is not services.desk
    build = swapped.desk.workflows[WINBACK].build
    assert isinstance(build, partial) and build.keywords["sender"] is sender
