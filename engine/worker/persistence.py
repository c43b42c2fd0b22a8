"""Writes one batch: each table in ONE statement, on the worker's writing connection.

The Django models stay the schema; the write path bypasses the ORM here, and only here. A batch
is frozen into `Rows` (plain tuples of Python values) when it is applied in memory, so the
commit can run in its own thread while the next batch is already being matched. `batch_write`
then sends, inside one transaction:

1. the fence check (engine.worker.lock: this worker is still the single writer),
2. the new orders, trades and ledger entries, one statement per table,
3. the orders that changed, one statement (SQLite: one executemany),
4. upserts (INSERT ... ON CONFLICT DO UPDATE) of the absolute new values of every balance,
   position, symbol counter and hook row (market data's stream counters) the batch touched, one
   statement per table: the worker is the only writer, so its in-memory values are the truth.

On PostgreSQL every statement is `INSERT ... SELECT * FROM unnest(%s::type[], ...)` (or
`UPDATE ... FROM unnest(...)`) with one array parameter per column, all sent in ONE psycopg
pipeline (one round trip for the whole batch, then COMMIT). The statement text stays constant
whatever the batch size, so psycopg never parses a statement with thousands of placeholders (the
profile's top cost with multi-row VALUES: 300 orders cost 11.5 ms of worker CPU that way, 5.7 ms
with unnest; COPY costs 2.5 ms but cannot run in a pipeline). On SQLite (in-process, no round trips)
multi-row `INSERT ... VALUES` and one executemany UPDATE.
Values are converted once per column kind (money to integer atoms, datetimes for the backend).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, Model

from accounts.models import Balance, LedgerEntry
from accounts.money import MoneyField, to_atoms
from engine.models import SymbolState
from engine.worker.lock import fence_check, fence_statement, fence_verify
from trading.models import Instrument, Order, Position, Trade

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """How to write some columns of one model: INSERT, or upsert on `conflict`."""

    model: type[Model]
    columns: tuple[str, ...]  # attnames, in row order
    conflict: tuple[str, ...] = ()
    update: tuple[str, ...] = ()  # with `conflict`: the columns an existing row takes from the new one


@dataclass
class Rows:
    """Everything a batch writes, as plain values (built by engine.worker.batch)."""

    inserts: list[tuple[Table, list[Row]]] = field(default_factory=list)
    order_updates: list[Row] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)

    def add(self, table: Table, rows: Sequence[Row]) -> None:
        if rows:
            self.inserts.append((table, list(rows)))


ORDERS = Table(Order, (
    "id", "user_id", "instrument_id", "client_order_id", "side", "type", "tif", "stp", "price", "stop_price",
    "qty", "quote_qty", "remaining", "filled", "quote_filled", "status", "reason", "seq", "triggered",
    "created_at", "updated_at",
))  # fmt: skip
ORDER_UPDATE_COLUMNS = (
    "remaining",
    "filled",
    "quote_filled",
    "status",
    "reason",
    "seq",
    "triggered",
    "updated_at",
)
TRADES = Table(Trade, (
    "id", "instrument_id", "seq", "price", "qty", "quote_qty", "taker_side", "taker_order_id",
    "maker_order_id", "taker_id", "maker_id", "taker_fee", "maker_fee", "created_at",
))  # fmt: skip
LEDGER = Table(LedgerEntry, (
    "user_id", "asset_id", "delta_free", "delta_locked", "reason", "order_id", "trade_id", "operation_id",
    "note", "created_by_id", "created_at",
))  # fmt: skip
BALANCES = Table(Balance, ("user_id", "asset_id", "free", "locked", "updated_at"),
                 conflict=("user_id", "asset_id"), update=("free", "locked", "updated_at"))  # fmt: skip
POSITIONS = Table(Position, ("user_id", "instrument_id", "qty", "avg_price", "realized_pnl", "updated_at"),
                  conflict=("user_id", "instrument_id"),
                  update=("qty", "avg_price", "realized_pnl", "updated_at"))  # fmt: skip
SYMBOLS = Table(SymbolState, ("instrument_id", "seq", "last_price", "updated_at"),
                conflict=("instrument_id",), update=("seq", "last_price", "updated_at"))  # fmt: skip


def batch_write(rows: Rows, *, epoch: int) -> None:
    """Writes a frozen batch inside the caller's transaction (see the module docstring)."""
    if connection.vendor == "postgresql":
        _write_postgres(rows, epoch)
        return
    fence_check(epoch)
    with connection.cursor() as cursor:
        for table, table_rows in rows.inserts:
            _insert_values(cursor, table, table_rows)
        if rows.order_updates:
            fields = _fields(Order, ("id", *ORDER_UPDATE_COLUMNS))
            sets = ", ".join(f"{_quote(f.column)} = %s" for f in fields[1:])
            sql = f"UPDATE {_quote(Order._meta.db_table)} SET {sets} WHERE {_quote('id')} = %s"  # noqa: S608
            cursor.executemany(sql, [[*row[1:], row[0]] for row in _convert(fields, rows.order_updates)])
    for symbol, status in rows.statuses.items():
        Instrument.objects.filter(symbol=symbol).update(status=status)


def _write_postgres(rows: Rows, epoch: int) -> None:
    """Every statement of the batch in one pipeline (one round trip), the fence first."""
    connection.ensure_connection()
    conn = connection.connection
    with conn.cursor() as fence, conn.cursor() as cursor:
        with conn.pipeline():
            fence.execute(*fence_statement(epoch))
            for table, table_rows in rows.inserts:
                fields = _fields(table.model, table.columns)
                source, params = _arrays(fields, _convert(fields, table_rows))
                cursor.execute(
                    f"INSERT INTO {_quote(table.model._meta.db_table)} ({_columns(fields)}) "  # noqa: S608
                    f"SELECT * FROM {source}{_on_conflict(table)}",
                    params,
                )
            if rows.order_updates:
                fields = _fields(Order, ("id", *ORDER_UPDATE_COLUMNS))
                source, params = _arrays(fields, _convert(fields, rows.order_updates))
                names = ", ".join(_quote(f.column) for f in fields)
                sets = ", ".join(f"{_quote(f.column)} = v.{_quote(f.column)}" for f in fields[1:])
                cursor.execute(
                    f"UPDATE {_quote(Order._meta.db_table)} AS o SET {sets} FROM {source} AS v({names}) "  # noqa: S608
                    f"WHERE o.{_quote('id')} = v.{_quote('id')}",
                    params,
                )
            for symbol, status in rows.statuses.items():
                cursor.execute(
                    f"UPDATE {_quote(Instrument._meta.db_table)} SET status = %s WHERE symbol = %s",  # noqa: S608
                    [status, symbol],
                )
        fence_verify(fence.rowcount, epoch)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _fields(model: type[Model], names: tuple[str, ...]) -> list[Any]:
    return [model._meta.get_field(name) for name in names]


def _convert(fields: list[Any], rows: list[Row]) -> list[Row]:
    convert = _converters(fields)
    return [tuple(c(v) for c, v in zip(convert, row, strict=True)) for row in rows]


def _columns(fields: list[Any]) -> str:
    return ", ".join(_quote(f.column) for f in fields)


def _on_conflict(table: Table) -> str:
    if not table.conflict:
        return ""
    get = table.model._meta.get_field
    conflict = ", ".join(_quote(get(name).column) for name in table.conflict)
    sets = ", ".join(f"{_quote(c)} = EXCLUDED.{_quote(c)}" for c in (get(n).column for n in table.update))
    return f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}"


def _arrays(fields: list[Any], values: list[Row]) -> tuple[str, list[list[Any]]]:
    """`unnest(%s::type[], ...)` and its parameters: one array per column."""
    casts = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    return f"unnest({casts})", [list(column) for column in zip(*values, strict=True)]


def _insert_values(cursor: Any, table: Table, rows: list[Row]) -> None:
    """SQLite: multi-row INSERT ... VALUES, in as few statements as its parameter limit allows."""
    fields = _fields(table.model, table.columns)
    values = _convert(fields, rows)
    per_row = len(fields)
    chunk = max(1, min(len(values), _max_params() // per_row))
    placeholder = "(" + ", ".join(["%s"] * per_row) + ")"
    head = f"INSERT INTO {_quote(table.model._meta.db_table)} ({_columns(fields)}) VALUES "  # noqa: S608
    for start in range(0, len(values), chunk):
        part = values[start : start + chunk]
        cursor.execute(
            head + ", ".join([placeholder] * len(part)) + _on_conflict(table), [v for r in part for v in r]
        )


def _identity(value: Any) -> Any:
    return value


def _money(value: Decimal | int | None) -> int | None:
    """A money column takes a Decimal amount, or an int that is already atoms (the core's unit)."""
    return value if value is None or isinstance(value, int) else to_atoms(value)


def _converters(fields: Iterable[Any]) -> list[Callable[[Any], Any]]:
    adapt: Callable[[datetime], Any] = connection.ops.adapt_datetimefield_value
    out: list[Callable[[Any], Any]] = []
    for f in fields:
        if isinstance(f, MoneyField):
            out.append(_money)
        elif isinstance(f, DateTimeField):
            out.append(adapt)
        else:
            out.append(_identity)
    return out


def _max_params() -> int:
    limit = connection.features.max_query_params
    return 60000 if limit is None else min(int(limit), 60000)
