"""Writes one batch: each table in ONE statement, on the worker's writing connection.

The Django models stay the schema; the write path bypasses the ORM here, and only here. A batch
is frozen into `Rows` (plain tuples of Python values) when it is applied in memory, so the
commit can run in its own thread while the next batch is already being matched. `batch_write`
then sends, inside one transaction:

1. the fence check (engine.worker.lock: this worker is still the single writer),
2. the new orders, trades and ledger entries, one statement per table, and the new or changed
   withdrawals (one upsert),
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

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from django.db import connection
from django.db.models import DateTimeField, Model

from accounts.models import Balance, LedgerEntry, Withdrawal
from accounts.money import MoneyField, to_atoms
from engine.models import SymbolState
from engine.worker.lock import fence_check, fence_statement, fence_verify
from trading.models import Instrument, Order, OrderList, Position, Trade

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
    "created_at", "updated_at", "order_list_id", "trailing_delta", "trail_peak", "trigger_price", "triggered_at",
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
    "trail_peak",
    "trigger_price",
    "triggered_at",
)
ORDER_LISTS = Table(OrderList, ("id", "user_id", "instrument_id", "client_list_id", "status", "created_at",
                                "updated_at"), conflict=("id",), update=("status", "updated_at"))  # fmt: skip
"""OCO lists, upserted (a new list, or a status change), before the orders that point to them."""
TRADES = Table(Trade, (
    "id", "instrument_id", "seq", "price", "qty", "quote_qty", "taker_side", "taker_order_id",
    "maker_order_id", "taker_id", "maker_id", "taker_fee", "maker_fee", "created_at",
))  # fmt: skip
LEDGER = Table(LedgerEntry, (
    "user_id", "asset_id", "delta_free", "delta_locked", "reason", "order_id", "trade_id", "operation_id",
    "note", "created_by_id", "created_at", "withdrawal_id",
))  # fmt: skip
WITHDRAWALS = Table(Withdrawal, (
    "id", "user_id", "asset_id", "client_withdrawal_id", "amount", "fee", "address", "status", "reason",
    "decided_by_id", "created_at", "updated_at",
), conflict=("id",), update=("status", "reason", "decided_by_id", "updated_at"))  # fmt: skip
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
            plan = _plan(ORDER_UPDATES, connection.vendor)
            cursor.executemany(plan.sql, [[*row[1:], row[0]] for row in plan.values(rows.order_updates)])
    for symbol, status in rows.statuses.items():
        Instrument.objects.filter(symbol=symbol).update(status=status)


def _write_postgres(rows: Rows, epoch: int) -> None:
    """Every statement of the batch in one pipeline (one round trip), the fence first.

    Server-side binding (`psycopg.Cursor`, whatever cursor class Django configured): the arrays
    travel as parameters, not as literals composed in Python, and the constant statements are
    prepared by the server after a few batches (psycopg's prepare_threshold)."""
    connection.ensure_connection()
    conn = connection.connection
    with psycopg.Cursor(conn) as fence, psycopg.Cursor(conn) as cursor:
        with conn.pipeline():
            fence.execute(*fence_statement(epoch))
            for table, table_rows in rows.inserts:
                plan = _plan(table, "postgresql")
                cursor.execute(plan.sql, _columns_of(plan.values(table_rows)))
            if rows.order_updates:
                plan = _plan(ORDER_UPDATES, "postgresql")
                cursor.execute(plan.sql, _columns_of(plan.values(rows.order_updates)))
            for symbol, status in rows.statuses.items():
                cursor.execute(STATUS_UPDATE, [status, symbol])
        fence_verify(fence.rowcount, epoch)


ORDER_UPDATES = Table(Order, ("id", *ORDER_UPDATE_COLUMNS))
"""The changed orders: (id, *ORDER_UPDATE_COLUMNS), UPDATEd by id."""
STATUS_UPDATE = f"UPDATE {Instrument._meta.db_table} SET status = %s WHERE symbol = %s"  # noqa: S608


@dataclass(frozen=True)
class _Plan:
    """A table's statement for one backend, and how to convert its rows' values (built once)."""

    sql: str
    converters: tuple[Callable[[Any], Any], ...]
    tail: str = ""  # SQLite inserts: what follows the VALUES (the conflict clause)

    def values(self, rows: list[Row]) -> list[Row]:
        return [tuple(c(v) for c, v in zip(self.converters, row, strict=True)) for row in rows]


@functools.cache
def _plan(table: Table, vendor: str) -> _Plan:
    meta, quote = table.model._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in table.columns]
    name, columns = quote(meta.db_table), [quote(f.column) for f in fields]
    conflict = ""
    if table.conflict:
        keys = ", ".join(quote(meta.get_field(n).column) for n in table.conflict)
        sets = ", ".join(
            f"{c} = EXCLUDED.{c}" for c in (quote(meta.get_field(n).column) for n in table.update)
        )
        conflict = f" ON CONFLICT ({keys}) DO UPDATE SET {sets}"
    if vendor == "postgresql":
        source = "unnest(" + ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields) + ")"
        if table is ORDER_UPDATES:
            sets = ", ".join(f"{c} = v.{c}" for c in columns[1:])
            sql = f"UPDATE {name} AS o SET {sets} FROM {source} AS v({', '.join(columns)}) WHERE o.{columns[0]} = v.{columns[0]}"  # noqa: S608
        else:
            sql = f"INSERT INTO {name} ({', '.join(columns)}) SELECT * FROM {source}{conflict}"  # noqa: S608
    elif table is ORDER_UPDATES:
        sets = ", ".join(f"{c} = %s" for c in columns[1:])
        sql = f"UPDATE {name} SET {sets} WHERE {columns[0]} = %s"  # noqa: S608
    else:  # SQLite: the head of a multi-row INSERT; `_insert_values` adds the VALUES
        head = f"INSERT INTO {name} ({', '.join(columns)}) VALUES "  # noqa: S608  (names from models)
        return _Plan(head, tuple(_converters(fields)), conflict)
    return _Plan(sql, tuple(_converters(fields)))


def _columns_of(values: list[Row]) -> list[list[Any]]:
    """The rows as one array per column (the parameters of an `unnest` statement)."""
    return [list(column) for column in zip(*values, strict=True)]


def _insert_values(cursor: Any, table: Table, rows: list[Row]) -> None:
    """SQLite: multi-row INSERT ... VALUES, in as few statements as its parameter limit allows."""
    plan = _plan(table, connection.vendor)
    values = plan.values(rows)
    per_row = len(plan.converters)
    chunk = max(1, min(len(values), _max_params() // per_row))
    placeholder = "(" + ", ".join(["%s"] * per_row) + ")"
    for start in range(0, len(values), chunk):
        part = values[start : start + chunk]
        cursor.execute(
            plan.sql + ", ".join([placeholder] * len(part)) + plan.tail, [v for r in part for v in r]
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
