"""The Web API's ``views.*`` methods: modals opened with a trigger id (a stack of at most
three), updated by id or external id (with the hash guarding against lost updates), and each
person's Home tab."""

from __future__ import annotations

import secrets
import time
from typing import Any

from sandbox.checks import MAX_VIEW_BLOCKS, Args, check_blocks, json_arg, required
from sandbox.errors import ApiError
from sandbox.workspace import Workspace

Answer = dict[str, Any]

MAX_MODAL_TITLE = 24
MAX_MODAL_STACK = 3
# Slack's trigger ids expire after 3 s; the sandbox allows 30 s, as a shared laptop is slower.
TRIGGER_TTL_SECONDS = 30.0


class ViewMethods:
    """``views.open``, ``views.push``, ``views.update`` and ``views.publish``."""

    workspace: Workspace

    def _views_open(self, args: Args) -> Answer:
        trigger_id = required(args, "trigger_id", error="invalid_trigger_id")
        issued = self.workspace.trigger(trigger_id)
        if issued is None:
            raise ApiError("invalid_trigger_id")
        user, created = issued
        if time.time() - created > TRIGGER_TTL_SECONDS:
            raise ApiError("expired_trigger_id")
        stack = self.workspace.open_modals(user)
        if len(stack) >= MAX_MODAL_STACK:
            raise ApiError("push_limit_reached")
        view = self.build_view(args, "modal", view_id="V" + secrets.token_hex(5).upper())
        view["root_view_id"] = stack[0]["id"] if stack else view["id"]
        view["previous_view_id"] = stack[-1]["id"] if stack else None
        self.workspace.save_view(view, user, is_open=True)
        return {"view": view}

    def _views_update(self, args: Args) -> Answer:
        if args.get("view_id"):
            found = self.workspace.view(str(args["view_id"]))
        elif args.get("external_id"):
            found = self.workspace.view_by_external_id(str(args["external_id"]))
        else:
            raise ApiError("invalid_arguments", "either view_id or external_id is required")
        if found is None:
            raise ApiError("not_found")
        current, user = found
        if args.get("hash") and args["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        view = self.build_view(args, current["type"], view_id=current["id"])
        view["root_view_id"] = current.get("root_view_id")
        view["previous_view_id"] = current.get("previous_view_id")
        still_open = current["type"] == "home" or current["id"] in {
            v["id"] for v in self.workspace.open_modals(user)
        }
        self.workspace.save_view(view, user, is_open=still_open)
        return {"view": view}

    def _views_publish(self, args: Args) -> Answer:
        user = required(args, "user_id", error="invalid_arguments")
        if self.workspace.person(user) is None:
            raise ApiError("user_not_found")
        current = self.workspace.home_view(user)
        if current and args.get("hash") and args["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        view_id = current["id"] if current else "V" + secrets.token_hex(5).upper()
        view = self.build_view(args, "home", view_id=view_id)
        self.workspace.save_view(view, user, is_open=False)
        return {"view": view}

    def build_view(self, args: Args, kind: str, *, view_id: str) -> dict[str, Any]:
        """The view of ``args`` as Slack returns it: ids given, state empty, a fresh hash."""
        given = json_arg(args, "view")
        if not isinstance(given, dict):
            raise ApiError("invalid_arguments", "view is required")
        if given.get("type") != kind:
            raise ApiError("invalid_arguments", f"view type must be {kind}")
        if kind == "modal":
            title = (given.get("title") or {}).get("text") or ""
            if not title or len(title) > MAX_MODAL_TITLE:
                raise ApiError(
                    "invalid_arguments",
                    f"must be at most {MAX_MODAL_TITLE} characters [json-pointer:/view/title/text]",
                )
        blocks = check_blocks(given.get("blocks") or [], MAX_VIEW_BLOCKS)
        me = self.workspace.identity
        return {
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **given,
            "id": view_id,
            "team_id": me.team_id,
            "blocks": blocks,
            "state": {"values": {}},
            "hash": f"{time.time():.6f}.{secrets.token_hex(4)}",
            "app_id": me.app_id,
            "bot_id": me.bot_id,
            "app_installed_team_id": me.team_id,
        }
