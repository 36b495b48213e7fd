"""What `qa-bot demo` tells the person trying it: what is waiting, and where to see it.

Why: the demo's QA lead can try every flow, but only if she is told which command
shows each, and how to reach the bot. So before serving, the demo queues what the live
product would have sent her (her moderation and escalation requests, and last month's
board summary, sent to her because the demo's board has no channel), reads back what
is waiting for her, and prints it with the command for each. The Playground command is
printed on a line of its own, never wrapped, so it can be copied and pasted; so is the
address to open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from rich.panel import Panel
from sqlmodel import Session, col, select

from bot.commands.common import console
from bot.settings import Settings
from demo.authority import DEMO_QA_LEAD_EMAIL, DEMO_QA_LEAD_NAME
from handlers.home import FINISHED_ALLOCATION, open_work
from messages.demo_requests import Requests, queue_open_requests
from messages.summary import summary_post_context
from qa.allocation_rules import allocation_day
from qa.framework import Framework
from qa.working_days import Month
from reminders.summary import channels_for, small_number_threshold
from storage.audits import AUDIT_ACTIVITIES
from storage.models import Allocation, Person
from storage.outbox import Message, enqueue
from storage.reporting import load_summary

PLAYGROUND_PORT = 56150  # the Agents Playground's default: it prints "Listening on 56150"


@dataclass(frozen=True)
class LeadWork:
    """What is waiting for the demo QA lead, by kind, and what was queued for her."""

    audits: int = 0
    moderations: int = 0
    actions: int = 0
    escalations: int = 0
    audit_months: tuple[str, ...] = ()  # YYYY-MM of her learning conversations to start
    summary_month: str | None = None  # the board summary sent to her chat
    requests: Requests = field(default_factory=Requests)


def summary_key(month: Month) -> str:
    return f"demo-summary:{month.key}"


def lead_inbox(*, session: Session, framework: Framework, tz: ZoneInfo, now: datetime) -> LeadWork:
    """Queue the lead's requests and last month's summary (once each); what is waiting."""
    lead = session.exec(select(Person).where(Person.email == DEMO_QA_LEAD_EMAIL)).first()
    if lead is None or lead.id is None:
        return LeadWork()
    today = now.astimezone(tz).date()
    requests = queue_open_requests(
        session=session, framework=framework, person_id=lead.id, now=now, tz=tz
    )
    last = Month.of(today).shift(-1)
    summary = load_summary(
        session=session, framework=framework, month=last, tz=tz, today=today,
        threshold=small_number_threshold(),
    )  # fmt: skip
    boards = channels_for(framework)
    context = summary_post_context(summary, channel=boards[0][1] if boards else "")
    message = Message("summary_post", summary_key(last), context, person_id=lead.id)
    enqueue(session=session, message=message, now=now)
    work = open_work(session=session, person_id=lead.id, today=today, tz=tz)
    months = session.exec(
        select(Allocation.month)
        .where(Allocation.person_id == lead.id)
        .where(col(Allocation.case_id).is_not(None))
        .where(col(Allocation.activity).in_(AUDIT_ACTIVITIES))
        .where(col(Allocation.status).not_in(FINISHED_ALLOCATION))
        .distinct()
    ).all()
    return LeadWork(
        audits=work.count("audit"),
        moderations=work.count("moderation"),
        actions=work.count("action"),
        escalations=work.count("escalation"),
        audit_months=tuple(sorted(months)),
        summary_month=last.key,
        requests=requests,
    )


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def waiting_lines(framework: Framework, work: LeadWork, today: date) -> list[str]:
    """One line per flow: how many are waiting, and the command that shows them."""
    vocab = framework.vocabulary
    lines = []
    if work.audits:
        note = ""
        current = Month.of(today).key
        older = [m for m in work.audit_months if m != current]
        if older:
            names = " and ".join(Month.parse(m).name for m in older)
            month = Month.of(today)
            made = allocation_day(framework, month)
            if today.month not in framework.allocation.active_months:
                why = f"the {framework.name} framework allocates no {vocab.audits} in {month.name}"
            elif made >= today:
                why = f"{month.name}'s are made on {made.day} {made:%B}"
            else:
                why = f"{month.name}'s are done"
            note = f" (from {names}, still due: {why})"
        lines.append(
            f"{_n(work.audits, vocab.audit, vocab.audits)} to start{note}: `my`, then Start"
        )
    else:
        lines.append(f"no {vocab.audit} to start today: `allocate --month YYYY-MM` makes some")
    if work.moderations:
        lines.append(
            f"{_n(work.moderations, vocab.moderation, vocab.moderations)} to do, its request "
            "in your chat: `my`, then Open moderation"
        )
    if work.actions:
        lines.append(f"{_n(work.actions, 'action', 'actions')} you own: `my`")
    if work.escalations:
        lines.append(
            f"{_n(work.escalations, 'escalation', 'escalations')} to answer, its request in "
            "your chat: `my`, then Record remedial action"
        )
    else:
        lines.append(f"no escalation: the {framework.name} framework sends none to the QA lead")
    if work.summary_month:
        month = Month.parse(work.summary_month)
        lines.append(
            f"{month.name}'s {vocab.board} summary, sent to your chat (the demo's board has no "
            f"channel); also `qa-bot summary --month {month.key} --out summary.html`"
        )
    lines.append("the whole authority's figures: `status`, then a service (`status <service>`)")
    return lines


def print_work(framework: Framework, work: LeadWork, today: date) -> None:
    """What is waiting for the demo QA lead, one flow a line."""
    console.print(
        f"Waiting for {DEMO_QA_LEAD_NAME} ({DEMO_QA_LEAD_EMAIL}), the QA lead:", highlight=False
    )
    for line in waiting_lines(framework, work, today):
        console.print(f"  - {line}", highlight=False, markup=False, soft_wrap=True)


def print_banner(framework: Framework, work: LeadWork, today: date, settings: Settings) -> None:
    """The banner, then the Playground command and address, each on a line of its own."""
    url = f"http://{settings.host}:{settings.port}/api/messages"
    body = "\n".join(f"  • {line}" for line in waiting_lines(framework, work, today))
    console.print(
        Panel(
            f"[bold]qa-bot demo[/] ({framework.authority}, {framework.name} framework)\n\n"
            f"You are {DEMO_QA_LEAD_NAME} ({DEMO_QA_LEAD_EMAIL}), the QA lead. "
            f"Waiting for you:\n{body}\n\n"
            "With SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET set, Slack works too (see the "
            "README); run the demo with --slack-user <your member id> to be its QA lead "
            "there. Stop with Ctrl+C.",
            title="Ready",
        ),
        highlight=False,
    )
    console.print("To chat with the bot as Microsoft Teams would, run in another terminal:")
    command = f"BOT_ENDPOINT={url} npx -y -p @microsoft/m365agentsplayground agentsplayground"
    console.print(command, soft_wrap=True, highlight=False, markup=False)
    console.print(
        f"then open the address it prints (by default http://localhost:{PLAYGROUND_PORT}) "
        "and type help.",
        soft_wrap=True,
        highlight=False,
    )
