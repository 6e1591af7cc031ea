"""The shapes of Slack's requests, as far as the app's listeners read them: a signed body
without these fields is refused at the edge (``bot.edge``) with 400 instead of failing inside a
listener, and a listener reads them through these models (``BlockActions.model_validate(body)
.user.id``), not through string keys. Everything else in a body is Slack's business and passes
through unread."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from integrations.statestore import SlackThread


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


class AppHomeOpened(_Shape):
    """A person opened one of the app's tabs (Home, Messages, About)."""

    user: str = Field(min_length=1)
    tab: str = "home"


class UrlVerification(_Shape):
    challenge: str


class Person(_Shape):
    id: str = Field(min_length=1)


class Option(_Shape):
    value: str = ""


class Action(_Shape):
    action_id: str = Field(min_length=1)
    # A button's value: what it was built with (a run id), or anything a request says.
    value: str = ""
    # An overflow menu's or a select's choice.
    selected_option: Option | None = None

    @property
    def chosen(self) -> str:
        """What was chosen: a menu's option, else the button's value."""
        return self.selected_option.value if self.selected_option else self.value


class OpenView(_Shape):
    """The modal a click inside it came from: to update it in place (``hash``: as it was)."""

    id: str = Field(min_length=1)
    hash: str = ""
    private_metadata: str = ""


class BlockActions(_Shape):
    """A click on a button (its ``value`` is the listener's to read)."""

    user: Person
    actions: list[Action] = Field(min_length=1)
    trigger_id: str = Field(min_length=1)
    # Set when the click was inside a modal.
    view: OpenView | None = None

    @property
    def clicked(self) -> Action:
        """The button clicked (Slack sends one action a click)."""
        return self.actions[0]


class View(_Shape):
    callback_id: str
    private_metadata: str
    id: str = ""


class ViewSubmission(_Shape):
    """A modal submitted."""

    user: Person
    view: View


class PostedMessage(_Shape):
    """``chat.postMessage``'s answer, as far as the app reads it: where the message now is
    (the channel's ID, even when it was posted to a #name or a user)."""

    channel: str = Field(min_length=1)
    ts: str = Field(min_length=1)

    @classmethod
    def of(cls, response: AsyncSlackResponse) -> PostedMessage:
        return cls.model_validate(response.data)

    @property
    def thread(self) -> SlackThread:
        """The message as the parent of a thread."""
        return SlackThread(self.channel, self.ts)


ENVELOPES: dict[str, type[_Shape]] = {
    "command": SlashCommand,
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
}
