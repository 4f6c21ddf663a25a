"""The one get-or-create and upsert of the catalog: rows found by their natural key, locked for the transaction.

``SELECT ... FOR UPDATE`` holds an existing row until commit on PostgreSQL (SQLite serialises writers anyway).
A missing row is inserted with ``INSERT ... ON CONFLICT DO NOTHING`` on the natural key's unique constraint, so
two transactions creating the same row at once both end up with the one row instead of one of them failing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storyvid_assets.catalog.base import Base

RowT = TypeVar("RowT", bound=Base)


def get_or_create(
    session: Session, model: type[RowT], keys: dict[str, Any], defaults: dict[str, Any] | None = None
) -> tuple[RowT, bool]:
    """The row matching ``keys`` (locked), or a new one made of ``keys`` and ``defaults``; and whether it is new."""
    query = select(model).filter_by(**keys).with_for_update()
    row = session.scalars(query).first()
    if row is not None:
        return row, False
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        row = model(**keys, **(defaults or {}))
        session.add(row)
        session.flush()
        return row, True
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    created = session.execute(insert.values(**keys, **(defaults or {})).on_conflict_do_nothing()).rowcount == 1
    return session.scalars(query.execution_options(populate_existing=True)).one(), created


def upsert(session: Session, model: type[RowT], keys: dict[str, Any], values: dict[str, Any]) -> RowT:
    """Update the row matching ``keys`` with ``values``, or insert it."""
    row, created = get_or_create(session, model, keys, values)
    if not created:
        for name, value in values.items():
            setattr(row, name, value)
        session.flush()
    return row
