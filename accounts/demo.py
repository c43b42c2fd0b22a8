"""The demo market: assets, instruments, users and their starting money (idempotent)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts.models import Asset, LedgerReason, User
from accounts.services import balance_adjust
from trading.models import Instrument

ASSETS = {"BTC": ("Bitcoin", 8), "ETH": ("Ether", 8), "USD": ("US Dollar", 2)}

INSTRUMENTS = {
    # symbol: (tick, lot, min_qty, max_qty, min_notional)
    "BTC-USD": ("0.01", "0.00001", "0.00001", "100", "1"),
    "ETH-USD": ("0.01", "0.0001", "0.0001", "1000", "1"),
    "ETH-BTC": ("0.00001", "0.001", "0.001", "1000", "0.0001"),
}
MAKER_FEE = Decimal("0.001")
TAKER_FEE = Decimal("0.002")

TRADERS = ("alice", "bob")
STAFF = "admin"
STARTING_FUNDS = {"USD": "100000", "BTC": "2", "ETH": "20"}


@dataclass(frozen=True)
class DemoSummary:
    users: list[str]
    password: str
    created_users: int
    credited: int


def demo_seed(*, password: str) -> DemoSummary:
    """Creates whatever of the demo market is missing; running it again changes nothing."""
    with transaction.atomic():
        assets = {
            code: Asset.objects.get_or_create(code=code, defaults={"name": name, "display_precision": prec})[
                0
            ]
            for code, (name, prec) in ASSETS.items()
        }
        for symbol, (tick, lot, min_qty, max_qty, min_notional) in INSTRUMENTS.items():
            base, quote = symbol.split("-")
            Instrument.objects.get_or_create(
                symbol=symbol,
                defaults={
                    "base": assets[base],
                    "quote": assets[quote],
                    "tick_size": Decimal(tick),
                    "lot_size": Decimal(lot),
                    "min_qty": Decimal(min_qty),
                    "max_qty": Decimal(max_qty),
                    "min_notional": Decimal(min_notional),
                    "maker_fee": MAKER_FEE,
                    "taker_fee": TAKER_FEE,
                },
            )
        created_users = 0
        for username in (*TRADERS, STAFF):
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@quantx.test",
                    "is_staff": username == STAFF,
                    "is_superuser": username == STAFF,
                },
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
                created_users += 1
    credited = 0
    for username in TRADERS:
        user = User.objects.get(username=username)
        for code, amount in STARTING_FUNDS.items():
            result = balance_adjust(
                user=user,
                asset=assets[code],
                amount=Decimal(amount),
                reason=LedgerReason.DEPOSIT,
                operation_id=f"demo-seed-{code}",
                note="Demo starting balance",
            )
            credited += result.created
    return DemoSummary(
        users=[*TRADERS, STAFF], password=password, created_users=created_users, credited=credited
    )
