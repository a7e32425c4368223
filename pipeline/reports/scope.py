"""What a report covers (period start, brand, model, as-of time) and how queries apply it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, or_

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class Scope:
    since: date | None
    brand: str | None
    model: str | None
    now: datetime

    @property
    def since_at(self) -> datetime | None:
        """Start of the period as an aware instant (midnight UTC)."""
        return datetime.combine(self.since, time(), tzinfo=UTC) if self.since else None

    def products(self, query: Query, brand: Any, model: Any) -> Query:
        """``query`` restricted to the report's brand and model, when it names them."""
        if self.brand is not None:
            query = query.where(brand == self.brand)
        if self.model is not None:
            query = query.where(model == self.model)
        return query

    def period(self, query: Query, at: Any) -> Query:
        """``query`` restricted to rows at or after the period start."""
        since = self.since_at
        return query if since is None else query.where(at >= since)


def under(column: Any, component: str) -> ColumnElement[bool]:
    """The component code ``column`` is ``component`` or one of its sub-components."""
    return or_(column == component, column.startswith(component + ":", autoescape=True))
