"""Proofs that the books balance: run by `manage.py verify_ledger`, the staff verify view and tests.

Per asset: the sum of every balance (users and the fee account) equals deposits - withdrawals +
adjustments, exactly; every balance row equals the sum of its ledger entries; and each locked
balance equals the holds of that user's open orders (limit price x remaining for buys, remaining
base for sells) and pending withdrawals (their amount). A completed withdrawal's amount less its fee
is a WITHDRAWAL entry (it left); its fee moved to the fee account (FEE entries, internal). Optionally the running engine's state hash equals a rebuild from the database.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from accounts.models import Balance, LedgerEntry, LedgerReason, Withdrawal, WithdrawalStatus
from accounts.selectors import LedgerMismatch, ledger_mismatches
from trading.models import OPEN_STATUSES, Order, Side

ZERO = Decimal(0)
_EXTERNAL = (LedgerReason.DEPOSIT, LedgerReason.WITHDRAWAL, LedgerReason.ADJUSTMENT)


@dataclass
class LedgerReport:
    """What verify found; `ok` when every list is empty (and the hashes agree, if compared)."""

    totals: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # asset -> (balances, external)
    conservation: list[str] = field(default_factory=list)
    mismatches: list[LedgerMismatch] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)
    engine_hash: str | None = None
    rebuilt_hash: str | None = None

    @property
    def ok(self) -> bool:
        hashes_agree = self.engine_hash is None or self.engine_hash == self.rebuilt_hash
        return not (self.conservation or self.mismatches or self.holds) and hashes_agree

    def lines(self) -> list[str]:
        out = [f"{asset}: balances {b:f} = external {x:f}" for asset, (b, x) in sorted(self.totals.items())]
        out += [f"CONSERVATION: {p}" for p in self.conservation]
        out += [f"LEDGER: user {m.user_id} {m.asset}: balance {m.free:f}/{m.locked:f} "
                f"!= ledger {m.ledger_free:f}/{m.ledger_locked:f}" for m in self.mismatches]  # fmt: skip
        out += [f"HOLDS: {p}" for p in self.holds]
        if self.engine_hash is not None:
            verdict = "equal" if self.engine_hash == self.rebuilt_hash else "DIFFERENT"
            out.append(f"state hash: engine {self.engine_hash} / rebuilt {self.rebuilt_hash}: {verdict}")
        out.append("OK" if self.ok else "FAILED")
        return out


def ledger_verify(*, engine_hash: str | None = None) -> LedgerReport:
    report = LedgerReport(mismatches=ledger_mismatches())
    balances = {
        row["asset__code"]: (row["free"] or ZERO) + (row["locked"] or ZERO)
        for row in Balance.objects.values("asset__code").annotate(free=Sum("free"), locked=Sum("locked"))
    }
    external = {
        row["asset__code"]: (row["free"] or ZERO) + (row["locked"] or ZERO)
        for row in LedgerEntry.objects.filter(reason__in=_EXTERNAL)
        .values("asset__code")
        .annotate(free=Sum("delta_free"), locked=Sum("delta_locked"))
    }
    for asset in sorted(balances.keys() | external.keys()):
        b, x = balances.get(asset, ZERO), external.get(asset, ZERO)
        report.totals[asset] = (b, x)
        if b != x:
            report.conservation.append(
                f"{asset}: balances sum {b:f} but deposits-withdrawals-adjustments {x:f}"
            )
    report.holds = _hold_problems()
    if engine_hash is not None:
        from engine.worker.recovery import exchange_load

        report.engine_hash = engine_hash
        report.rebuilt_hash = exchange_load()[0].state_hash()
    return report


def _hold_problems() -> list[str]:
    """Locked balances against open orders' holds. The two open legs of an OCO list share ONE hold
    (both open means the list is live): the higher limit price x remaining for a BUY, remaining for a
    SELL; a leg left alone after the list ended holds for itself."""
    expected: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    orders = Order.objects.filter(status__in=OPEN_STATUSES).select_related(
        "instrument__base", "instrument__quote"
    )
    legs: dict[int, list[Order]] = defaultdict(list)
    for o in orders.only(
        "user_id",
        "side",
        "price",
        "remaining",
        "order_list_id",
        "instrument__base__code",
        "instrument__quote__code",
    ):
        if o.order_list_id is not None:
            legs[o.order_list_id].append(o)
            continue
        _add_hold(expected, o, o.price)
    for pair in legs.values():
        top = max(o.price or ZERO for o in pair)
        _add_hold(expected, pair[0], top if len(pair) == 2 else pair[0].price)
    pending = Withdrawal.objects.filter(status=WithdrawalStatus.PENDING)
    for user_id, asset, amount in pending.values_list("user_id", "asset__code", "amount"):
        expected[(user_id, asset)] += amount
    return _compare(expected)


def _add_hold(expected: dict[tuple[int, str], Decimal], o: Order, price: Decimal | None) -> None:
    if o.side == Side.BUY:
        expected[(o.user_id, o.instrument.quote.code)] += (price or ZERO) * o.remaining
    else:
        expected[(o.user_id, o.instrument.base.code)] += o.remaining


def _compare(expected: dict[tuple[int, str], Decimal]) -> list[str]:
    locked = {
        (b.user_id, b.asset.code): b.locked
        for b in Balance.objects.filter(locked__gt=0).select_related("asset")
    }
    problems = []
    for key in sorted(expected.keys() | locked.keys()):
        want, have = expected.get(key, ZERO), locked.get(key, ZERO)
        if want != have:
            problems.append(
                f"user {key[0]} {key[1]}: locked {have:f} but open orders and pending withdrawals hold {want:f}"
            )
    return problems
