"""The SQL the application really sends, captured, explained and timed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event, text

Statement = tuple[str, Any]


@contextmanager
def captured_statements() -> Iterator[list[Statement]]:
    """Every (statement, parameters) the app's engine executes inside the block."""
    from app.db import get_engine

    engine = get_engine()
    seen: list[Statement] = []

    def record(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(statement: str, parameters: Any, *, settings: Sequence[str] = ()) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one captured statement, in a rolled-back transaction."""
    from app.db import get_engine

    with get_engine().connect() as db:
        for setting in settings:
            db.execute(text(f"SET LOCAL {setting}"))
        rows = db.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = "\n".join(str(row[0]) for row in rows)
        db.rollback()
    return plan


def time_statement(
    statement: str,
    parameter_sets: Sequence[Mapping[str, Any]],
    *,
    settings: Sequence[str] = (),
    on_each: Callable[[], None] | None = None,
) -> list[float]:
    """Seconds per execution of ``statement`` with each parameter set, on one connection."""
    from app.db import get_engine

    timings: list[float] = []
    with get_engine().connect() as db:
        for setting in settings:
            db.execute(text(f"SET {setting}"))
        for parameters in parameter_sets:
            started = time.perf_counter()
            db.exec_driver_sql(statement, dict(parameters)).fetchall()
            timings.append(time.perf_counter() - started)
            if on_each is not None:
                on_each()
        for setting in settings:
            db.execute(text(f"RESET {setting.split('=')[0].strip()}"))
        db.rollback()
    return timings
