"""The buttons on every action reminder: Done, Update, Need more time, Snooze.

Only the action's owner may use them. *Done* asks for the difference it made for the
child; *Update* for a progress note; *Need more time* for a new date and a reason,
which a QA lead approves or refuses (`handlers.more_time`). Each
records a `RecommendationUpdate`, edits the message in place, answers with a one-line
receipt, and tells the person who raised the recommendation when it is done or its
date changes. Escalation buttons live in `handlers.escalation_actions`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.conversation import Conversation
from handlers.forms import read_form, text_field, with_errors
from handlers.interaction import Reply
from handlers.tracking_replies import current, edit, gone, route, state
from handlers.turn import Turn
from messages.tracking import NOTE_CHARS, parse_route, safe_text
from qa.send_window import snooze_until
from qa.validation import Field
from storage.models import Case, Recommendation, RecommendationUpdate
from storage.outbox import Message, enqueue
from storage.tracking import DONE, directory
from storage.tracking_records import add_update

RECEIPT = "rec_receipt"
# The form is where the person decides the action is done, so it shows the action in
# full (recommendations and moderation actions are at most 1,000 characters).
FULL_ACTION_CHARS = 1000
FORM = "rec_form"
ITEM = "recommendation"
FIELDS: dict[str, tuple[Field, ...]] = {
    "done": (
        text_field(
            "impact",
            "the difference for the child",
            max_length=1500,
            missing="Say what difference this has made for the child",
        ),
    ),
    "update": (
        text_field(
            "progress", "progress", max_length=1500, missing="Write a short note on progress"
        ),
    ),
    "more_time": (
        Field("new_due", "new due date", "date", dates="future_working_day", max_months_ahead=12),
        text_field("reason", "reason", max_length=1000, missing="Say why more time is needed"),
    ),
}


def load_rec(turn: Turn) -> tuple[Recommendation, str] | list[Reply]:
    """The recommendation and message key, or the replies refusing the press."""
    found = route(turn, "rec")
    rec = turn.session.get(Recommendation, found[0]) if found else None
    if found is None or rec is None:
        return gone(RECEIPT)
    if rec.owner_id != turn.person.id:
        owner = directory(session=turn.session).name(rec.owner_id)
        return [Reply(RECEIPT, {"what": "not_owner", "reference": None, "owner": owner})]
    if rec.status == DONE:
        return [Reply(RECEIPT, {"what": "already_done", "reference": reference_of(turn, rec)})]
    return rec, found[1]


def record(turn: Turn, rec: Recommendation, kind: str, **details: Any) -> RecommendationUpdate:
    """One event on `rec` by the person pressing, now: every button here records one.

    `details` are `add_update`'s own: the `note`, a `new_due_on`, the `changes` made."""
    return add_update(
        session=turn.session, rec=rec, person=turn.person, kind=kind, now=turn.now, **details
    )


def show_update(
    turn: Turn, rec: Recommendation, key: str, update: RecommendationUpdate, shown: dict[str, Any]
) -> list[Reply]:
    """Edit `rec`'s item on the message the owner pressed (`key`) to show `shown`."""
    return edit(
        turn,
        message_key=key,
        item_type=ITEM,
        item_id=rec.id or 0,
        shown=shown,
        suffix=f"u{update.id}",
    )


def reference_of(turn: Turn, rec: Recommendation) -> str | None:
    case = turn.session.get(Case, rec.case_id) if rec.case_id is not None else None
    return case.reference if case else None


def rec_form(turn: Turn, rec: Recommendation, form: str, values: dict[str, Any]) -> Reply:
    return Reply(
        FORM,
        {
            "form": form,
            "reference": reference_of(turn, rec),
            "level": rec.level,
            "summary": safe_text(rec.action, FULL_ACTION_CHARS),
            "due_on": rec.due_on.isoformat(),
            "routing_key": turn.interaction.routing_key or "",
            "values": values,
        },
    )


def _open_form(form: str) -> Any:
    def handler(turn: Turn) -> list[Reply]:
        loaded = load_rec(turn)
        if isinstance(loaded, list):
            return loaded
        return [rec_form(turn, loaded[0], form, {})]

    return handler


def tell(turn: Turn, rec: Recommendation, person_id: int | None, event: str, **extra: Any) -> None:
    """Tell the raiser (or the owner) what happened, once per update and person."""
    if person_id is None or person_id == turn.person.id:
        return
    update_id = extra.pop("update_id")
    context = {
        "event": event,
        "reference": reference_of(turn, rec),
        "level": rec.level,
        "summary": safe_text(rec.action),
        "by": turn.person.name,
        "on": turn.today.isoformat(),
        "due_on": rec.due_on.isoformat(),
        **extra,
    }
    key = f"rec-progress:{update_id}:{person_id}"
    enqueue(
        session=turn.session,
        message=Message("rec_progress", key, context, person_id=person_id),
        now=turn.now,
    )


def submitted(turn: Turn, form: str) -> tuple[Recommendation, str, dict[str, Any]] | list[Reply]:
    loaded = load_rec(turn)
    if isinstance(loaded, list):
        return loaded
    rec, key = loaded
    values, cleaned, errors = read_form(turn, FIELDS[form])
    new_due = cleaned.get("new_due")
    if (
        form == "more_time"
        and isinstance(new_due, str)
        and date.fromisoformat(new_due) <= rec.due_on
    ):
        errors["new_due"] = "Pick a date after the current due date"
    if errors:
        return with_errors(rec_form(turn, rec, form, values), errors)
    return rec, key, cleaned


def submit_done(turn: Turn) -> list[Reply]:
    got = submitted(turn, "done")
    if isinstance(got, list):
        return got
    rec, key, cleaned = got
    impact = str(cleaned["impact"])
    changes = {
        "status": DONE,
        "impact_note": impact,
        "completed_at": turn.now,
        "snoozed_until": None,
    }
    update = record(turn, rec, "done", note=impact, changes=changes)
    shown = show_update(turn, rec, key, update, state(turn, "done"))
    tell(
        turn, rec, rec.raised_by_id, "done", update_id=update.id, note=safe_text(impact, NOTE_CHARS)
    )
    return [*shown, Reply(RECEIPT, {"what": "done", "reference": reference_of(turn, rec)})]


def submit_update(turn: Turn) -> list[Reply]:
    got = submitted(turn, "update")
    if isinstance(got, list):
        return got
    rec, key, cleaned = got
    update = record(turn, rec, "update", note=str(cleaned["progress"]))
    shown = show_update(turn, rec, key, update, state(turn, "updated", open_=True))
    return [*shown, Reply(RECEIPT, {"what": "updated", "reference": reference_of(turn, rec)})]


def snooze(turn: Turn) -> list[Reply]:
    loaded = load_rec(turn)
    if isinstance(loaded, list):
        return loaded
    rec, key = loaded
    until = snooze_until(turn.framework.reminders, turn.today)
    update = record(turn, rec, "snoozed", changes={"snoozed_until": until})
    shown = show_update(
        turn, rec, key, update, state(turn, "snoozed", open_=True, until=until.isoformat())
    )
    return [
        *shown,
        Reply(
            RECEIPT,
            {"what": "snoozed", "reference": reference_of(turn, rec), "until": until.isoformat()},
        ),
    ]


def cancel(turn: Turn) -> list[Reply]:
    """Cancel on a form shown in place of its message: show the message again."""
    parsed = parse_route(turn.interaction.routing_key)
    return current(turn, parsed[2]) if parsed is not None else []


CONVERSATION = Conversation(
    name="recommendations",
    actions={
        "rec.done": _open_form("done"),
        "rec.update": _open_form("update"),
        "rec.more_time": _open_form("more_time"),
        "rec.snooze": snooze,
        "tracking.cancel": cancel,
    },
    submissions={"rec.done": submit_done, "rec.update": submit_update},
)
