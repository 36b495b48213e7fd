"""The monthly summary posted to a board's Slack channel, end to end.

The `post_summary` job runs at its frozen time on a Camden demo department; the app's
own outbox sender (`build_app`, as `serve` builds it) delivers the message to the fake
Slack Web API: the blocks with the per-domain table, then the chart through
`files.getUploadURLExternal`, the upload and `files.completeUploadExternal`.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.sender import SenderPolicy
from storage.models import OutboxMessage
from tests.bot.summary_posts import (
    SUMMARY_AT,
    Department,
    camden,
    department,
    leaks,
    run_post_summary,
)
from tests.bot.test_sender import running_clock
from tests.chat import app_client, slack_settings
from tests.fakes.slack_api import FakeSlack, Fault

CHANNEL = "C0QABOARD"


@pytest.fixture
def dept(engine: Engine) -> Department:
    return department(engine, camden(slack_channel=CHANNEL))


def run_job(engine: Engine, dept: Department) -> None:
    run_post_summary(engine, dept.framework)


def deliver(db_url: str, engine: Engine, dept: Department, slack: FakeSlack) -> Any:
    settings = slack_settings(db_url, slack.url)
    # The clock moves on, so a retry comes due.
    app = app_client(settings, engine, running_clock(SUMMARY_AT), framework=dept.framework).app
    sender = app.state.sender  # type: ignore[attr-defined]
    sender.policy = SenderPolicy(retry_base=0.05, retry_cap=0.2, idle_poll=0.05)
    return asyncio.run(sender.drain(timeout=20))


def blocks_of(call_params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = call_params["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def test_the_post_has_the_per_domain_table_and_the_chart_and_no_case_reference(
    db_url: str, engine: Engine, dept: Department, slack: FakeSlack
) -> None:
    run_job(engine, dept)
    report = deliver(db_url, engine, dept, slack)

    assert (report.delivered, report.failed) == (1, 0)
    # The fake records an upload after answering it, so only the API calls' order is exact.
    order = [c.method for c in slack.state.calls if c.method not in ("auth.test", "upload")]
    assert order == [
        "files.getUploadURLExternal",
        "chat.postMessage",
        "files.completeUploadExternal",
    ]
    assert len(slack.calls_to("upload")) == len(slack.state.uploads) == 1
    (post,) = slack.calls_to("chat.postMessage")
    assert post.params["channel"] == CHANNEL
    blocks = blocks_of(post.params)
    text = json.dumps(blocks)
    assert "Quality Assurance Board: monthly summary for November 2026" in text
    for domain in dept.framework.audit_form.domains:  # a row of the table per domain
        assert any(domain.label in json.dumps(b) and "fields" in b for b in blocks), domain.label
    assert "Overall grade" in text and "Good or better" in text
    assert leaks([blocks, post.params["text"]], dept) == []
    (ask,) = slack.calls_to("files.getUploadURLExternal")
    assert ask.params["filename"] == "qa-summary-2026-11.png"
    assert "grade mix per domain" in ask.params["alt_txt"]
    assert int(ask.params["length"]) == len(slack.state.uploads[0])
    chart = Image.open(io.BytesIO(slack.state.uploads[0]))
    assert chart.format == "PNG" and chart.width >= 800
    (share,) = slack.calls_to("files.completeUploadExternal")
    assert share.params["channel_id"] == CHANNEL
    files = share.params["files"]
    assert json.loads(files) if isinstance(files, str) else files
    assert "F0FILE" in str(files)
    with Session(engine) as s:
        (row,) = s.exec(select(OutboxMessage))
    assert row.status == "sent" and row.platform == "slack"


def test_posting_again_posts_nothing_twice(
    db_url: str, engine: Engine, dept: Department, slack: FakeSlack
) -> None:
    run_job(engine, dept)
    deliver(db_url, engine, dept, slack)
    run_job(engine, dept)  # a second run of the job, as after a restart
    report = deliver(db_url, engine, dept, slack)

    assert report.delivered == 0
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.calls_to("files.completeUploadExternal")) == 1


def test_a_failed_share_is_retried_without_posting_the_message_twice(
    db_url: str, engine: Engine, dept: Department, slack: FakeSlack
) -> None:
    slack.fail_next("files.completeUploadExternal", Fault(status=500))
    run_job(engine, dept)
    report = deliver(db_url, engine, dept, slack)

    assert (report.delivered, report.retried) == (1, 1)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.calls_to("files.completeUploadExternal")) == 2
