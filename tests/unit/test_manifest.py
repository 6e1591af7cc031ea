"""``manifest.yml`` asks for exactly the scopes and events the app's code uses.

The Web API methods are read from the bot's source (every ``client.<method>(`` call), so a new
call without its scope, or a scope left behind after its last call went, fails here rather than
with ``missing_scope`` in a customer's workspace.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot import ids

ROOT = Path(__file__).resolve().parents[2]

# The bot-token scope each Web API method needs (docs.slack.dev/reference/methods); None: none.
METHOD_SCOPES: dict[str, str | tuple[str, ...] | None] = {
    "auth_test": None,
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "chat_getPermalink": None,
    "files_upload_v2": "files:write",
    "views_open": None,
    "views_update": None,
    "views_push": None,
    "views_publish": None,
    "usergroups_users_list": "usergroups:read",
    "users_info": "users:read",
    "reactions_add": "reactions:write",
    "conversations_replies": "channels:history",
    # A support channel's name (policies/support.yaml): public or private.
    "conversations_info": ("channels:read", "groups:read"),
}
# The scope each event subscription needs.
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
}
WEB_API_CALL = re.compile(
    r"\.(auth|chat|files|views|usergroups|users|reactions|conversations)_(\w+)\("
)


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return loaded


def methods_called() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        found |= {f"{a}_{b}" for a, b in WEB_API_CALL.findall(path.read_text())}
    return found


def scopes_of(method: str) -> set[str]:
    scope = METHOD_SCOPES.get(method)
    return set() if scope is None else {scope} if isinstance(scope, str) else set(scope)


def events_listened() -> set[str]:
    """Event subscriptions the listeners need, from ``app.event("...")``: a ``message``
    listener answers direct messages (``message.im``); one registered with a matcher (a
    channel's, ``bot.listeners.support_channels``) answers public and private channels'
    messages (``message.channels``, ``message.groups``)."""
    source = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    events = set(re.findall(r"\.event\(\s*\"(\w+)\"", source))
    subscriptions = {"message.im" if event == "message" else event for event in events}
    if re.search(r"\.event\(\s*\"message\",\s*matchers=", source):
        subscriptions |= {"message.channels", "message.groups"}
    return subscriptions


def test_every_web_api_method_the_bot_calls_has_a_known_scope() -> None:
    unknown = methods_called() - set(METHOD_SCOPES)
    assert not unknown, f"add these methods' scopes to METHOD_SCOPES: {sorted(unknown)}"


def test_the_manifest_asks_for_the_scopes_used_and_no_more() -> None:
    events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    needed = set().union(*(scopes_of(m) for m in methods_called()))
    needed |= {EVENT_SCOPES[e] for e in events if e in EVENT_SCOPES}
    needed.add("commands")
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed


def test_the_manifest_subscribes_to_the_events_the_listeners_answer() -> None:
    subscribed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert subscribed == events_listened()


def test_the_manifest_declares_the_slash_command_with_socket_mode_and_interactivity() -> None:
    declared = manifest()
    assert [c["command"] for c in declared["features"]["slash_commands"]] == [ids.COMMAND]
    assert declared["settings"]["socket_mode_enabled"] is True
    assert declared["settings"]["interactivity"]["is_enabled"] is True
    assert declared["features"]["app_home"]["home_tab_enabled"] is True
