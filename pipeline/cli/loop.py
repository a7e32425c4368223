"""`aftersales flags triage` and `aftersales actions`: the product team's side of a flag."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import uuid4

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from pipeline.cli.support import command_settings, limited, reading_engine
from pipeline.common.clock import wall_clock
from pipeline.common.output import Format, emit
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.read.loop import read_product_loop
from schemas.product import FlagTriaged

err = Console(stderr=True)
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def triage(
    flag_id: Annotated[str, typer.Argument(metavar="FLAG", help="The flag id, as listed.")],
    by: Annotated[str, typer.Option("--by", help="Who decides: a person or a team.")],
    confirm: Annotated[bool, typer.Option("--confirm", help="A real defect.")] = False,
    dismiss: Annotated[bool, typer.Option("--dismiss", help="Not a defect.")] = False,
    ack: Annotated[bool, typer.Option("--ack", help="Seen, under investigation.")] = False,
    note: Annotated[str | None, typer.Option("--note", help="Why, for the record.")] = None,
) -> None:
    """Decide what a flag is: publishes flag.triaged, as an issue tracker may.

    A confirmed flag stays open until its corrective action is verified; a dismissed one stays
    quiet unless its evidence doubles.
    """
    from producers.publisher import publish_all

    chosen = [name for name, on in (("confirm", confirm), ("dismiss", dismiss), ("ack", ack)) if on]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of --confirm, --dismiss, --ack")
    now = wall_clock()
    event = FlagTriaged(
        event_id=uuid4(),
        occurred_at=now,
        source="aftersales-cli",
        flag_id=flag_id,
        decision=chosen[0],
        note=note,
        decided_by=by,
        decided_at=now,
    )
    publish_all(command_settings(), [event])
    err.print(f"flag {flag_id}: {chosen[0]} published (event {event.event_id})", highlight=False)


def actions(
    fmt: FormatOpt = Format.table,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="Show at most this many rows (0: all).")
    ] = 50,
) -> None:
    """Corrective actions with their effectiveness verdict: units built after the change against
    units built before, per unit-month in service (as of the event-time watermark)."""
    with session_factory(reading_engine(command_settings(), err))() as session:
        loop = read_product_loop(session)
    rows = limited([a.as_dict() for a in loop.actions], limit, err, "actions")
    if fmt is Format.table:
        rows = [{**r, "signatures": ", ".join(r["signatures"])} for r in rows]
    columns = ["action_id", "change", "signatures", "verdict", "rate_ratio", "interval", "reason"]
    emit(
        rows,
        fmt,
        title=f"Corrective actions (as of {loop.as_of})",
        columns=columns if fmt is Format.table else None,
        headers={"action_id": "action", "rate_ratio": "rate ratio"},
    )


def with_standing(
    session: Session, rows: list[dict[str, Any]], status: str
) -> list[dict[str, Any]]:
    """Flag rows with the product team's side: triage, loop state and linked actions; the
    status is the loop's (a confirmed flag stays open until verified, a dismissed one is
    closed), and ``status`` filters on it."""
    loops = {loop.flag.flag_id: loop for loop in read_product_loop(session).flags}
    out = []
    for listed in rows:
        row = listed
        loop = loops.get(row["flag_id"])
        if loop is not None:
            row = {
                **listed,
                "detector_status": row["status"],
                "status": loop.status,
                "triage": loop.triage,
                "state": loop.state,
                "actions": ", ".join(f"{a.action_id} ({a.verdict})" for a in loop.actions),
                "recalls": ", ".join(loop.recalls),
            }
        if status in ("all", row["status"]):
            out.append(row)
    return out
