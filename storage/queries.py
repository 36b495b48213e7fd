"""Query shapes that recur across the storage modules.

Kept here so each module states only what differs (the model and its conditions) and
the shared part (the ordering that keeps listings and jobs stable) is written once.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel, select

M = TypeVar("M", bound=SQLModel)


def in_id_order(session: Session, model: type[M], *where: ColumnElement[bool] | bool) -> list[M]:
    """Rows of `model` meeting every condition, in id order (the order they were made),
    so that what jobs and listings walk through is the same from run to run."""
    primary_key = sa_inspect(model).primary_key
    return list(session.exec(select(model).where(*where).order_by(*primary_key)))
