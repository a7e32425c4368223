"""`aftersales deadletter`: list what the processors could not take, and send it back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from pipeline.cli.support import command_settings
from pipeline.common.clock import wall_clock
from pipeline.common.output import Format, emit
from pipeline.warehouse import deadletter_store
from pipeline.warehouse.engine import make_engine, session_factory

REPLAY_HEADER = "aftersales-replay-of"
"""Header a replayed message carries: the id of the dead letter it came from."""

deadletter_app = typer.Typer(
    help="Dead letters: what the processors could not take, with reason and original bytes.",
    no_args_is_help=True,
)
err = Console(stderr=True)

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
ReasonOpt = Annotated[
    str | None, typer.Option(help="Only this reason (e.g. unprocessable, schema_violation).")
]
SinceOpt = Annotated[
    datetime | None, typer.Option(help="Only dead letters received at or after this time (UTC).")
]


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


@deadletter_app.command("list")
def list_dead_letters(
    fmt: FormatOpt = Format.table,
    reason: ReasonOpt = None,
    since: SinceOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many (0: all).")] = 50,
) -> None:
    """Dead letters, oldest first, with their reason and error."""
    sessions = session_factory(make_engine(command_settings().warehouse_url))
    with sessions() as session:
        found = deadletter_store.find(
            session, reason=reason, since=_aware(since), limit=limit or None
        )
        totals = deadletter_store.count_by_reason(session)
    rows = [d.summary() for d in found]
    total = sum(n for r, n in totals.items() if reason is None or r == reason)
    emit(
        rows,
        fmt,
        title=f"Dead letters ({len(rows)} of {total})",
        columns=["reason", "topic", "partition", "offset", "received_at", "replayed_at", "error"]
        if fmt is Format.table
        else None,
    )


@deadletter_app.command("replay")
def replay(
    reason: ReasonOpt = None,
    since: SinceOpt = None,
    again: Annotated[
        bool, typer.Option(help="Also send dead letters that were replayed before.")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="Only say what would be sent.")] = False,
) -> None:
    """Send dead letters back to their original topic with their original key and headers.

    Events are archived once whatever the number of replays (the archive is keyed by
    event_id), and each dead letter is sent once unless --again is given. Messages cut when
    they were dead-lettered (oversize values or keys) cannot be replayed and are listed.
    """
    from producers.publisher import Publisher

    settings = command_settings()
    sessions = session_factory(make_engine(settings.warehouse_url))
    with sessions() as session:
        found = deadletter_store.find(
            session, reason=reason, since=_aware(since), replayed=None if again else False
        )
    sendable = [d for d in found if d.replayable]
    for cut in (d for d in found if not d.replayable):
        err.print(
            f"not replayable (cut when dead-lettered): {cut.topic}[{cut.partition}]@{cut.offset}",
            markup=False,
        )
    if dry_run or not sendable:
        err.print(f"{len(sendable)} dead letter(s) to replay" + (" (dry run)" if dry_run else ""))
        return
    with Publisher(settings, compression=None) as publisher:
        for dead in sendable:
            headers = [
                *((n, v) for n, v in dead.headers if n != REPLAY_HEADER),
                (REPLAY_HEADER, dead.dead_letter_id.encode()),
            ]
            publisher.publish_raw(dead.topic, dead.key, dead.value or b"", headers)
        publisher.flush()
    with sessions.begin() as session:
        deadletter_store.mark_replayed(session, [d.dead_letter_id for d in sendable], wall_clock())
    err.print(f"replayed {len(sendable)} dead letter(s) to their topics")
