#!/usr/bin/env python
"""How long the engine worker takes to rebuild its state from the database (ARCHITECTURE decision 4).

Creates a throw-away database (SQLite file by default, or PostgreSQL with --postgres URL), fills it
with N open orders from many users (resting bids and asks that do not cross, with their holds in
the balances), then times `engine.worker.recovery.state_load()` and checks the rebuilt books' invariants.

  .venv/bin/python bench/recovery_bench.py --orders 100000
  .venv/bin/python bench/recovery_bench.py --orders 100000 --postgres postgres://postgres@127.0.0.1:5432/qx_bench
"""

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=1_000)
    ap.add_argument("--postgres", help="a PostgreSQL URL of a database that may be wiped")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="qx-recovery-")
    os.environ["QX_VAR_DIR"] = tmp
    os.environ.pop("REDIS_URL", None)
    if args.postgres:
        os.environ["DATABASE_URL"] = args.postgres
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quantx_site.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if args.postgres:
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)
    fill(args.orders, args.users)
    from engine.worker.recovery import state_load

    started = time.perf_counter()
    state = state_load()
    elapsed = time.perf_counter() - started
    problems = state.ex.check_invariants()
    state.ex.validate()
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"recovered {len(state.orders):,} open orders for {args.users:,} users from {db} in {elapsed:.2f} s "
        f"({len(state.orders) / elapsed:,.0f} orders/s); invariants: {'OK' if not problems else problems[:3]}"
    )


def fill(n_orders: int, n_users: int) -> None:
    """Open orders straight into the tables (setup only; the engine is not running)."""
    from django.utils import timezone

    from accounts.models import Asset, Balance, LedgerEntry, User
    from trading.models import Instrument, Order

    usd = Asset.objects.create(code="USD")
    btc = Asset.objects.create(code="BTC")
    inst = Instrument.objects.create(
        symbol="BTC-USD",
        base=btc,
        quote=usd,
        tick_size=Decimal("0.01"),
        lot_size=Decimal("0.001"),
        min_qty=Decimal("0.001"),
        max_qty=Decimal("1000"),
    )
    users = User.objects.bulk_create([User(username=f"u{i}") for i in range(n_users)])
    now = timezone.now()
    held: dict[tuple[int, str], Decimal] = {}
    orders = []
    for i in range(n_orders):
        user = users[i % n_users]
        buy = i % 2 == 0
        price = Decimal(10_000 - 1 - i % 5_000) / 100 if buy else Decimal(10_000 + 1 + i % 5_000) / 100
        qty = Decimal(1 + i % 100) / 1000
        orders.append(Order(id=i + 1, user_id=user.pk, instrument=inst, client_order_id=f"c{i}",
                            side="BUY" if buy else "SELL", type="LIMIT", price=price, qty=qty, remaining=qty,
                            seq=i + 1, created_at=now, updated_at=now))  # fmt: skip
        key = (user.pk, "USD" if buy else "BTC")
        held[key] = held.get(key, Decimal(0)) + (price * qty if buy else qty)
    Order.objects.bulk_create(orders, batch_size=5_000)
    assets = {"USD": usd, "BTC": btc}
    Balance.objects.bulk_create(
        [Balance(user_id=u, asset=assets[a], free=Decimal(0), locked=v) for (u, a), v in held.items()],
        batch_size=5_000,
    )
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(user_id=u, asset=assets[a], delta_free=Decimal(0), delta_locked=v, reason="DEPOSIT")
         for (u, a), v in held.items()],
        batch_size=5_000,
    )  # fmt: skip


if __name__ == "__main__":
    main()
