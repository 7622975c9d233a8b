"""Staff see dates in words in London time, never ISO timestamps."""

import datetime as dt

from service.console import fmt

UTC = dt.timezone.utc


def test_when_is_london_time_in_words() -> None:
    summer = dt.datetime(2026, 7, 6, 13, 5, 30, 123456, tzinfo=UTC)  # BST: 14:05
    assert fmt.when(summer) == "Monday, 6 July 2026, 14:05"
    winter = dt.datetime(2026, 12, 7, 13, 5, tzinfo=UTC)  # GMT
    assert fmt.when(winter) == "Monday, 7 December 2026, 13:05"
    assert fmt.when(None) == ""


def test_naive_values_are_taken_as_utc() -> None:
    assert fmt.when(dt.datetime(2026, 7, 6, 13, 5)) == "Monday, 6 July 2026, 14:05"


def test_left_says_how_long_and_which_way() -> None:
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert fmt.left(now + dt.timedelta(days=2), now) == "in 2 days"
    assert fmt.left(now - dt.timedelta(hours=3), now) == "3 hours ago"
    assert fmt.left(None, now) == ""
