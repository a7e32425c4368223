"""A report's scope (period start, brand, model) as conditions on the warehouse's queries."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, or_

from pipeline.reports.scope import Scope

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


def of_products(scope: Scope, query: Query, brand: Any, model: Any) -> Query:
    """``query`` restricted to the report's brand and model, when it names them."""
    if scope.brand is not None:
        query = query.where(brand == scope.brand)
    if scope.model is not None:
        query = query.where(model == scope.model)
    return query


def in_period(scope: Scope, query: Query, at: Any) -> Query:
    """``query`` restricted to rows at or after the period start."""
    since = scope.since_at
    return query if since is None else query.where(at >= since)


def in_scope(scope: Scope, query: Query, brand: Any, model: Any, at: Any) -> Query:
    """``query`` restricted to the report's products and period."""
    return in_period(scope, of_products(scope, query, brand, model), at)


def under(column: Any, component: str) -> ColumnElement[bool]:
    """The component code ``column`` is ``component`` or one of its sub-components."""
    return or_(column == component, column.startswith(component + ":", autoescape=True))
