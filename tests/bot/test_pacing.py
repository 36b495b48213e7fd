"""Pacing per channel: Slack one a second, Teams' several windows, Retry-After holds."""

from __future__ import annotations

from bot.pacing import SLACK_WINDOWS, TEAMS_WINDOWS, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_slack_channels_get_one_message_a_second_each() -> None:
    pacer = Pacer(Clock())

    assert [pacer.reserve("C1", SLACK_WINDOWS) for _ in range(3)] == [0.0, 1.0, 2.0]
    assert pacer.reserve("C2", SLACK_WINDOWS) == 0.0  # another channel is not held up


def test_teams_allows_seven_a_second_but_only_eight_in_two_seconds() -> None:
    pacer = Pacer(Clock())

    waits = [pacer.reserve("conv", TEAMS_WINDOWS) for _ in range(9)]

    assert waits[:7] == [0.0] * 7
    assert waits[7] == 1.0  # the 8th waits for the one-second window
    assert waits[8] == 2.0  # the 9th for the two-second window (8 per 2 s)


def test_teams_sixty_in_thirty_seconds_holds_a_busy_conversation() -> None:
    pacer = Pacer(Clock())

    waits = [pacer.reserve("conv", TEAMS_WINDOWS) for _ in range(61)]

    assert max(waits[:60]) < 30.0
    assert waits[60] >= 30.0


def test_a_retry_after_holds_the_key_until_it_expires() -> None:
    clock = Clock()
    pacer = Pacer(clock)
    pacer.reserve("C1", SLACK_WINDOWS)

    pacer.hold("C1", 5.0)

    assert pacer.held_for("C1") == 5.0
    assert pacer.reserve("C1", SLACK_WINDOWS) == 5.0
    clock.now += 10
    assert pacer.held_for("C1") == 0.0
