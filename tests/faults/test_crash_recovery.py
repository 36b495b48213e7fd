"""SIGKILL of `qa-bot serve` in the middle of a fan-out, then a restart (issue 16, defect 6).

A real `serve` process sends one message to each of 30 people through the fake Slack
(Slack's rate limits on), which answers each post half a second after accepting it,
so the kill always leaves posts Slack has and the bot never heard back about. After
the restart every person must have exactly one copy: the unconfirmed claims were
found in the conversation history, not sent again. On Teams, which cannot be asked,
the repeats are measured against their bound: at most what was in flight.
"""

from __future__ import annotations

import pytest

from bench.crash import crash_and_restart
from bot.sender import SenderPolicy

pytestmark = pytest.mark.slow


@pytest.mark.timeout(300)
def test_slack_every_person_has_exactly_one_copy_after_a_kill_and_restart() -> None:
    run = crash_and_restart("slack", people=30, kill_after=15)

    assert run.accepted_before_kill > run.marked_before_kill  # the kill left posts unmarked
    assert run.missing == 0
    assert set(run.copies.values()) == {1}, run.copies
    assert run.history_checks >= run.accepted_before_kill - run.marked_before_kill


@pytest.mark.timeout(300)
def test_teams_repeats_after_a_kill_stay_within_what_was_in_flight() -> None:
    run = crash_and_restart("teams", people=30, kill_after=15)

    assert run.missing == 0
    assert run.duplicates <= run.in_flight_at_kill
    assert run.duplicates <= SenderPolicy().concurrency
