"""`aftersales customers`: erase one customer's personal data, or export all of it."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from uuid import uuid4

import typer
from rich.console import Console

from pipeline.cli.support import command_settings, reading_engine
from pipeline.common.clock import wall_clock
from pipeline.common.output import Format, emit
from pipeline.warehouse import erasure
from pipeline.warehouse.engine import session_factory
from schemas.customers import CustomerErasureRequested

customers_app = typer.Typer(
    help="Personal data of one customer: erasure and subject-access export.",
    no_args_is_help=True,
)
err = Console(stderr=True)

IdArg = Annotated[str, typer.Argument(help="The customer id, as the events name it.")]


@customers_app.command("erase")
def erase(
    customer_id: IdArg,
    reason: Annotated[
        str | None, typer.Option(help="For the record: the law or channel (e.g. gdpr-art17).")
    ] = None,
    request_id: Annotated[
        str | None, typer.Option(help="The request's id in the system that took it.")
    ] = None,
) -> None:
    """Publish a customer.erasure_requested event; the worker erases the customer everywhere
    and confirms with customer.erased on the erasures topic."""
    from producers.publisher import publish_all

    event = CustomerErasureRequested(
        event_id=uuid4(),
        occurred_at=wall_clock(),
        source="aftersales-cli",
        customer_id=customer_id,
        request_id=request_id,
        reason=reason,
    )
    publish_all(command_settings(), [event])
    # The id is not echoed: terminals and their logs keep what they print.
    err.print(f"erasure requested (event {event.event_id})")


@customers_app.command("export")
def export(
    customer_id: IdArg,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.json,
) -> None:
    """Everything the warehouse holds about one customer, by table (a subject-access request).

    json: one document; jsonl: one row per line with its table; table: rows per table.
    Raw bytes (dead letters) are base64.
    """
    sessions = session_factory(reading_engine(command_settings(), err))
    with sessions() as session:
        found = erasure.export_customer(session, customer_id)
    data = {name: [_plain(r) for r in rows] for name, rows in found.items()}
    if fmt is Format.json:
        emit({"customer_id": customer_id, "tables": data}, fmt)
    elif fmt is Format.jsonl:
        emit([{"table": name, **row} for name, rows in data.items() for row in rows], fmt)
    else:
        emit([{"table": n, "rows": len(r)} for n, r in data.items()], fmt, title="Held data")
    if not any(data.values()):
        raise typer.Exit(1)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: base64.b64encode(v).decode() if isinstance(v, bytes) else v for k, v in row.items()}
