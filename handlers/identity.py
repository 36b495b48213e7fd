"""Who is this? Matching a chat user to a `Person`.

A person is matched first by their account id on the platform they wrote from
(`storage.chat_accounts`), which the import may already hold. The first time someone writes from
an unmatched account we fall back to their work email (which the adapter fetched
from the platform) and remember the platform id, so later messages need no email.
Inactive people are treated as unknown: someone who has left must not see work.

The link is recorded in the audit log (ids only), so a wrong match can be traced.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from handlers.interaction import Interaction
from storage.audit_log import By, record_row
from storage.chat_accounts import account_field, address_field, by_account
from storage.models import Person


def _by_platform_id(*, session: Session, platform: str, user_id: str) -> Person | None:
    return by_account(session=session, platform=platform, account_id=user_id)


def _by_email(*, session: Session, email: str) -> Person | None:
    return session.exec(
        select(Person).where(func.lower(Person.email) == email.strip().lower())
    ).first()


def known_person_id(*, session: Session, platform: str, user_id: str) -> int | None:
    """The id of the active person already linked to this platform account, if any.

    Adapters ask this before paying for a platform call to fetch the user's email.
    """
    person = _by_platform_id(session=session, platform=platform, user_id=user_id)
    return person.id if person is not None and person.active else None


def resolve_person(*, session: Session, interaction: Interaction, now: datetime) -> Person | None:
    """The active person behind `interaction`, linking the platform id on first contact."""
    if not interaction.user_id:
        return None
    person = _by_platform_id(
        session=session, platform=interaction.platform, user_id=interaction.user_id
    )
    if person is not None:
        if not person.active:
            return None
        _refresh_conversation(session=session, person=person, interaction=interaction, now=now)
        return person
    if not interaction.email:
        return None
    person = _by_email(session=session, email=interaction.email)
    if person is None or not person.active:
        return None
    _link(session=session, person=person, interaction=interaction, now=now)
    return person


def _link(*, session: Session, person: Person, interaction: Interaction, now: datetime) -> None:
    """Store the account id (and the address, where the platform needs one) on a person
    matched by email."""
    field = account_field(interaction.platform)
    if field is None:
        return
    before = getattr(person, field)
    setattr(person, field, interaction.user_id)
    address = address_field(interaction.platform)
    if address is not None and interaction.conversation is not None:
        setattr(person, address, interaction.conversation)
    person.updated_at = now
    session.add(person)
    record_row(
        session,
        person,
        f"link_{interaction.platform}",
        By(f"{interaction.platform}:{interaction.user_id}", person.id, now),
        before={field: before},
        after={field: interaction.user_id},
    )


def _refresh_conversation(
    *, session: Session, person: Person, interaction: Interaction, now: datetime
) -> None:
    """Keep a stored address current (a platform's service URL can change)."""
    address = address_field(interaction.platform)
    if address is None or interaction.conversation is None:
        return
    if getattr(person, address) == interaction.conversation:
        return
    setattr(person, address, interaction.conversation)
    person.updated_at = now
    session.add(person)
