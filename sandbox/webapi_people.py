"""The Web API's methods about who is who: ``auth.test``, ``team.info``, ``bots.info``,
``users.info``, ``users.list``, ``users.lookupByEmail`` and ``usergroups.users.list``.

People's email addresses are made up from their handles (``avery@two-peaks.example``): the
sandbox has no mail, only addresses a lookup can find.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.checks import Args, required
from sandbox.errors import ApiError
from sandbox.workspace import Person, Workspace

Answer = dict[str, Any]

BOT_NAME = "Control Room"


class PeopleMethods:
    """The team, the app's bot, people and user groups."""

    workspace: Workspace
    base_url: str

    def _auth_test(self, args: Args) -> Answer:
        me = self.workspace.identity
        return {
            "url": self.base_url + "/",
            "team": me.team_name,
            "user": "controlroom",
            "team_id": me.team_id,
            "user_id": me.bot_user_id,
            "bot_id": me.bot_id,
            "is_enterprise_install": False,
        }

    def _team_info(self, args: Args) -> Answer:
        me = self.workspace.identity
        if args.get("team") and args["team"] != me.team_id:
            raise ApiError("team_not_found")
        return {
            "team": {
                "id": me.team_id,
                "name": me.team_name,
                "url": self.base_url + "/",
                "domain": self.team_domain,
                "email_domain": "",
                "icon": {"image_default": True},
                "is_verified": False,
            }
        }

    def _bots_info(self, args: Args) -> Answer:
        me = self.workspace.identity
        if args.get("bot") != me.bot_id:
            raise ApiError("bot_not_found")
        return {
            "bot": {
                "id": me.bot_id,
                "deleted": False,
                "name": BOT_NAME,
                "updated": 0,
                "app_id": me.app_id,
                "user_id": me.bot_user_id,
                "icons": {"image_36": "", "image_48": "", "image_72": ""},
            }
        }

    def _users_info(self, args: Args) -> Answer:
        person = self.workspace.person(required(args, "user"))
        if person is None:
            raise ApiError("user_not_found")
        return {"user": self._user(person)}

    def _users_list(self, args: Args) -> Answer:
        members = [self._user(p) for p in self.workspace.people()]
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def _users_lookup_by_email(self, args: Args) -> Answer:
        email = required(args, "email", error="users_not_found").strip().lower()
        for person in self.workspace.people():
            if not person.is_bot and self._email(person) == email:
                return {"user": self._user(person)}
        raise ApiError("users_not_found")

    def _usergroup_users(self, args: Args) -> Answer:
        members = self.workspace.usergroup_members(required(args, "usergroup"))
        if members is None:
            raise ApiError("no_such_subteam")
        return {"users": members}

    @property
    def team_domain(self) -> str:
        """The workspace's subdomain, from its name ("Two Peaks" → "two-peaks")."""
        return re.sub(r"[^a-z0-9]+", "-", self.workspace.identity.team_name.lower()).strip("-")

    def _email(self, person: Person) -> str:
        return f"{person.name.lower()}@{self.team_domain}.example"

    def _user(self, person: Person) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "real_name": person.real_name,
            "display_name": person.name,
            "title": person.title,
        }
        if not person.is_bot:
            profile["email"] = self._email(person)
        return {
            "id": person.id,
            "team_id": self.workspace.identity.team_id,
            "name": person.name,
            "real_name": person.real_name,
            "is_bot": person.is_bot,
            "deleted": False,
            "tz": "America/Denver",
            "profile": profile,
        }
