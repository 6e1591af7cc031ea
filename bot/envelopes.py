"""The shapes of Slack's requests, as far as the app's listeners read them: a signed body
without these fields is refused at the edge (``bot.edge``) with 400 instead of failing inside a
listener. Everything else in a body is Slack's business and passes through unread."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class SlashCommand(_Shape):
    """``/controlroom …``: form fields."""

    command: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    channel_id: str = Field(min_length=1)
    response_url: str = Field(min_length=1)
    text: str = ""


class EventBody(_Shape):
    type: str = Field(min_length=1)


class EventCallback(_Shape):
    """An Events API delivery; its ``event_id`` is what a retry repeats."""

    event_id: str = Field(min_length=1)
    event: EventBody


class UrlVerification(_Shape):
    challenge: str


class Person(_Shape):
    id: str = Field(min_length=1)


class Action(_Shape):
    action_id: str = Field(min_length=1)


class BlockActions(_Shape):
    """A click on a button (its ``value`` is the listener's to read)."""

    user: Person
    actions: list[Action] = Field(min_length=1)
    trigger_id: str = Field(min_length=1)


class View(_Shape):
    callback_id: str
    private_metadata: str


class ViewSubmission(_Shape):
    """A modal submitted."""

    user: Person
    view: View


ENVELOPES: dict[str, type[_Shape]] = {
    "command": SlashCommand,
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
}
