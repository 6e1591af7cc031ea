"""A stored moment as a person reads it: in the team's time zone, named.

Every moment is stored in UTC; the team reads its clock in policies/schedule.yaml's
``timezone``. Light at import (the standard library only), so the CLI and the Slack app share it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def team_time(moment: datetime, timezone: str, *, seconds: bool = False) -> str:
    """``moment`` in ``timezone`` with the zone's name, daylight saving time included:
    ``2026-11-20 09:15 MST``, ``2026-07-20 10:15 MDT`` (``09:15:04 MST`` with ``seconds``)."""
    shape = "%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z"
    return moment.astimezone(ZoneInfo(timezone)).strftime(shape)
