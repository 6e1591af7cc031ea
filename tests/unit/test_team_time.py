"""A stored moment reads in the team's time zone, named, daylight saving time included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from integrations.team_time import team_time

DENVER = "America/Denver"  # policies/schedule.yaml


def test_a_winter_moment_reads_as_mountain_standard_time() -> None:
    assert team_time(datetime(2026, 11, 20, 16, 15, tzinfo=UTC), DENVER) == "2026-11-20 09:15 MST"


def test_a_summer_moment_reads_as_mountain_daylight_time() -> None:
    assert team_time(datetime(2026, 7, 20, 16, 15, tzinfo=UTC), DENVER) == "2026-07-20 10:15 MDT"


def test_a_moment_late_in_the_utc_day_is_the_team_day_before() -> None:
    assert team_time(datetime(2026, 11, 21, 2, 30, tzinfo=UTC), DENVER) == "2026-11-20 19:30 MST"


def test_the_same_moment_stored_with_another_offset_reads_the_same() -> None:
    paris = timezone(timedelta(hours=1))

    assert team_time(datetime(2026, 11, 20, 17, 15, tzinfo=paris), DENVER) == (
        "2026-11-20 09:15 MST"
    )


def test_seconds_are_shown_when_asked() -> None:
    moment = datetime(2026, 11, 20, 16, 15, 4, tzinfo=UTC)

    assert team_time(moment, DENVER, seconds=True) == "2026-11-20 09:15:04 MST"
