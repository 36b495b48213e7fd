"""A person's chat accounts, keyed by platform name, without naming any platform.

The accounts live on `Person` as `<platform>_user_id` columns, and a platform whose
bot cannot message someone by id alone also stores an address as
`<platform>_conversation` (`storage/models.py` is the one place that lists them).
Everything else asks here by platform name, so identity, imports and exports need no
change when a platform is added: only the model (and a migration) does.
"""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from storage.models import CHAT_ACCOUNT_FORMATS, Person

_ACCOUNT_SUFFIX = "_user_id"
_ADDRESS_SUFFIX = "_conversation"


def platforms() -> tuple[str, ...]:
    """Every platform a person can hold an account on, in the model's order."""
    return tuple(
        name.removesuffix(_ACCOUNT_SUFFIX)
        for name in Person.model_fields
        if name.endswith(_ACCOUNT_SUFFIX)
    )


def account_field(platform: str) -> str | None:
    """The `Person` attribute holding this platform's account id; None if unknown."""
    return f"{platform}{_ACCOUNT_SUFFIX}" if platform in platforms() else None


def account_fields() -> tuple[str, ...]:
    """Every account id attribute (the staff file's optional account columns)."""
    return tuple(f"{p}{_ACCOUNT_SUFFIX}" for p in platforms())


def account_format(field: str) -> tuple[re.Pattern[str], str]:
    """What a valid id in account field `field` looks like: (pattern, description)."""
    pattern, what = CHAT_ACCOUNT_FORMATS[field.removesuffix(_ACCOUNT_SUFFIX)]
    return re.compile(pattern), what


def address_field(platform: str) -> str | None:
    """The attribute holding the stored address for this platform, if it needs one."""
    name = f"{platform}{_ADDRESS_SUFFIX}"
    return name if name in Person.model_fields else None


def by_account(*, session: Session, platform: str, account_id: str) -> Person | None:
    """The person holding this account (active ones first), if any."""
    field = account_field(platform)
    if field is None:
        return None
    column = getattr(Person, field)
    return session.exec(
        select(Person).where(column == account_id).order_by(Person.active.desc(), col(Person.id))  # type: ignore[attr-defined]
    ).first()
