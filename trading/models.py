"""Instruments, orders, trades and positions.

Orders, trades and positions are written only by the engine worker, which also assigns order and
trade ids (so a whole batch can be matched in memory before one INSERT). Names follow
docs/architecture.md decision 9.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from accounts.models import Asset
from accounts.money import MoneyField, to_atoms


class InstrumentStatus(models.TextChoices):
    TRADING = "TRADING"
    HALTED = "HALTED"
    CANCEL_ONLY = "CANCEL_ONLY"


class Instrument(models.Model):
    symbol = models.CharField(max_length=20, unique=True, help_text="BASE-QUOTE, e.g. BTC-USD.")
    base = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    tick_size = MoneyField(help_text="Prices must be a multiple of this.")
    lot_size = MoneyField(help_text="Quantities must be a multiple of this.")
    min_qty = MoneyField()
    max_qty = MoneyField()
    min_notional = MoneyField(default=0, help_text="Smallest price × qty, in quote.")
    maker_fee = models.DecimalField(max_digits=7, decimal_places=6, default=0, help_text="e.g. 0.001 = 0.1%")
    taker_fee = models.DecimalField(max_digits=7, decimal_places=6, default=0)
    status = models.CharField(
        max_length=12, choices=InstrumentStatus.choices, default=InstrumentStatus.TRADING
    )

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tick_size__gt=0) & Q(lot_size__gt=0), name="instrument_steps_positive"
            ),
            models.CheckConstraint(
                condition=Q(min_qty__gt=0) & Q(max_qty__gte=F("min_qty")), name="instrument_qty_range"
            ),
            models.CheckConstraint(condition=~Q(base=F("quote")), name="instrument_two_assets"),
            models.CheckConstraint(
                condition=Q(maker_fee__gte=0, maker_fee__lt=1, taker_fee__gte=0, taker_fee__lt=1),
                name="instrument_fee_range",
            ),
        ]

    def __str__(self) -> str:
        return self.symbol

    def clean(self) -> None:
        """tick × lot must be a whole number of atoms, so every price × qty is exact in the ledger."""
        if self.tick_size and self.lot_size:
            try:
                to_atoms(self.tick_size * self.lot_size)
            except ValueError:
                raise ValidationError(
                    "tick_size × lot_size must have at most 8 decimal places (smallest notional step)."
                ) from None


class Side(models.TextChoices):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(models.TextChoices):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    LIMIT_MAKER = "LIMIT_MAKER"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"


class TimeInForce(models.TextChoices):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class SelfTradePrevention(models.TextChoices):
    NONE = "NONE"
    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"
    EXPIRE_BOTH = "EXPIRE_BOTH"


class OrderStatus(models.TextChoices):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


OPEN_STATUSES = (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


class Order(models.Model):
    id = models.BigIntegerField(primary_key=True, help_text="Assigned by the engine.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="orders")
    client_order_id = models.CharField(max_length=36)
    side = models.CharField(max_length=4, choices=Side.choices)
    type = models.CharField(max_length=20, choices=OrderType.choices)
    tif = models.CharField(max_length=3, choices=TimeInForce.choices, default=TimeInForce.GTC)
    stp = models.CharField(
        max_length=12, choices=SelfTradePrevention.choices, default=SelfTradePrevention.NONE
    )
    price = MoneyField(null=True, blank=True)
    stop_price = MoneyField(null=True, blank=True)
    qty = MoneyField(null=True, blank=True, help_text="Base quantity (absent for a MARKET order by quote).")
    quote_qty = MoneyField(null=True, blank=True, help_text="Quote amount of a MARKET order by quote.")
    remaining = MoneyField(default=0, help_text="Base quantity still open (after amends).")
    filled = MoneyField(default=0)
    quote_filled = MoneyField(default=0)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.NEW)
    reason = models.CharField(max_length=40, blank=True, default="", help_text="Why REJECTED or EXPIRED.")
    seq = models.BigIntegerField(default=0, help_text="Engine time priority (arrival order in the book).")
    triggered = models.BooleanField(default=False, help_text="A stop order that has entered the book.")
    triggered_at = models.DateTimeField(null=True, blank=True, help_text="When the stop triggered.")
    trailing_delta = models.PositiveIntegerField(
        null=True, blank=True, help_text="Trailing stop: basis points (1 to 2000) behind the peak."
    )
    trail_peak = MoneyField(
        null=True,
        blank=True,
        help_text="Trailing stop: highest (SELL) / lowest (BUY) trade price since placed.",
    )
    trigger_price = MoneyField(
        null=True,
        blank=True,
        help_text="A waiting trailing stop's current trigger price (or where it triggered).",
    )
    order_list = models.ForeignKey(
        "OrderList", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "client_order_id"], name="order_client_id_once_per_user"),
            models.CheckConstraint(
                condition=Q(filled__gte=0) & Q(remaining__gte=0), name="order_amounts_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "instrument", "-id"]),
            models.Index(fields=["status"], name="order_open_idx", condition=Q(status__in=OPEN_STATUSES)),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.side} {self.type} {self.instrument_id} {self.status}"


class OrderListStatus(models.TextChoices):
    EXECUTING = "EXECUTING"
    ALL_DONE = "ALL_DONE"
    REJECTED = "REJECTED"


class OrderList(models.Model):
    """An OCO order list: two legs (orders with `order_list` set) of one user, symbol, side and qty.

    EXECUTING while a leg is open; ALL_DONE once both legs ended; REJECTED when the engine rejected
    both legs at placement (a LIMIT_MAKER that would take, a stop that would trigger at once).
    Written only by the engine worker, which assigns the id.
    """

    id = models.BigIntegerField(primary_key=True, help_text="Assigned by the engine.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="order_lists")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="order_lists")
    client_list_id = models.CharField(max_length=36)
    status = models.CharField(
        max_length=12, choices=OrderListStatus.choices, default=OrderListStatus.EXECUTING
    )
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_list_id"], name="order_list_client_id_once_per_user"
            )
        ]
        indexes = [models.Index(fields=["user", "-id"])]

    def __str__(self) -> str:
        return f"list #{self.id} {self.instrument_id} {self.status}"


class Trade(models.Model):
    id = models.BigIntegerField(primary_key=True, help_text="Assigned by the engine.")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="trades")
    seq = models.BigIntegerField(help_text="Market-data sequence of the symbol.")
    price = MoneyField()
    qty = MoneyField()
    quote_qty = MoneyField()
    taker_side = models.CharField(max_length=4, choices=Side.choices)
    taker_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    maker_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    taker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    taker_fee = MoneyField(help_text="In the asset the taker received.")
    maker_fee = MoneyField(help_text="In the asset the maker received.")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["instrument", "-id"])]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "seq"], name="trade_seq_once_per_symbol")
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.qty}@{self.price}"

    @property
    def maker_side(self) -> str:
        return Side.SELL if self.taker_side == Side.BUY else Side.BUY


class Position(models.Model):
    """Spot position: net base bought minus sold, average entry price, realized PnL in quote."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="positions")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="positions")
    qty = MoneyField(default=0)
    avg_price = MoneyField(default=0)
    realized_pnl = MoneyField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_id", "instrument__symbol"]
        constraints = [
            models.UniqueConstraint(fields=["user", "instrument"], name="position_one_per_user_instrument")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.instrument}: {self.qty} @ {self.avg_price}"
