"""The outbox sender under faults, at scale (slow: run by .ci/run, not `make test`).

The same scenarios as `bench/fanout.py`, with pass/fail asserts instead of figures:
a fake Slack that answers 429 and 500 at random, one that enforces Slack's limits, and
a sender process killed with SIGKILL half-way through and started again.
"""

from __future__ import annotations

import pytest

from bench.fanout import deliver, kill_and_restart
from bot.sender import SenderPolicy
from tests.fakes.slack_api import RateLimits

pytestmark = pytest.mark.slow


@pytest.mark.timeout(300)
def test_random_429s_and_500s_deliver_every_message_once_and_never_early() -> None:
    run = deliver(people=1000, each=2, fault_rates={"429": 0.05, "500": 0.01}, lookup_share=0.05)

    assert run.fake is not None and run.fake["injected"]["429"] > 0
    assert run.delivered == run.messages == 2000
    assert run.duplicates == 0
    assert run.violations == 0


@pytest.mark.timeout(300)
def test_slacks_limits_are_respected_without_a_single_early_send() -> None:
    run = deliver(people=50, each=5, limits=RateLimits(), lookup_share=0.1)

    assert run.delivered == run.messages
    assert run.duplicates == 0
    assert run.violations == 0


@pytest.mark.timeout(300)
def test_a_sender_killed_half_way_repeats_at_most_what_was_in_flight() -> None:
    run = kill_and_restart(people=300, each=2)

    assert run.delivered == run.messages  # the restart delivered the rest
    assert run.delivered_before_kill < run.messages
    assert run.duplicates <= run.in_flight_at_kill
    # sends never run ahead of their marks by more than the sender's concurrency
    assert run.duplicates <= SenderPolicy().concurrency
    assert run.violations == 0
