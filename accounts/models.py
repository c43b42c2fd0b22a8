"""Users, assets, balances and the ledger that explains every balance change.

A `Balance` row always equals the sum of the user's `LedgerEntry` rows for that asset
(`accounts.selectors.ledger_mismatches` checks it). Both are written only by the engine worker
(docs/architecture.md decision 1); admin shows them read-only.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.money import MoneyField


class User(AbstractUser):
    """The exchange's user. Custom from the first migration so fields can be added later."""

    class Meta:
        db_table = "accounts_user"


class Asset(models.Model):
    code = models.CharField(max_length=12, unique=True, help_text="Ticker, e.g. BTC, USD.")
    name = models.CharField(max_length=64, blank=True)
    display_precision = models.PositiveSmallIntegerField(
        default=8, help_text="Decimals shown in the UI; a withdrawal amount may have no more."
    )
    withdrawal_fee = MoneyField(
        default=0, help_text="Charged on each withdrawal, out of its amount, to the exchange's fee account."
    )
    withdrawal_min = MoneyField(
        default=0, help_text="Smallest amount a withdrawal may ask for (0: no minimum)."
    )
    withdrawals_enabled = models.BooleanField(
        default=True,
        help_text="Untick to suspend new withdrawals of this asset (pending ones still get decided).",
    )
    withdrawal_max = MoneyField(
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text="Largest amount one withdrawal may ask for (empty: no maximum).",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.withdrawal_max is not None and self.withdrawal_max < (self.withdrawal_min or 0):
            raise ValidationError({"withdrawal_max": "The maximum cannot be below the minimum withdrawal."})


class Balance(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="balances")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="balances")
    free = MoneyField(default=0)
    locked = MoneyField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_id", "asset__code"]
        constraints = [
            models.UniqueConstraint(fields=["user", "asset"], name="balance_one_per_user_asset"),
            models.CheckConstraint(condition=Q(free__gte=0), name="balance_free_not_negative"),
            models.CheckConstraint(condition=Q(locked__gte=0), name="balance_locked_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.asset}: {self.free} free, {self.locked} locked"


class LedgerReason(models.TextChoices):
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"
    ORDER_HOLD = "ORDER_HOLD"
    ORDER_RELEASE = "ORDER_RELEASE"
    TRADE = "TRADE"
    FEE = "FEE"
    ADJUSTMENT = "ADJUSTMENT"
    WITHDRAWAL_HOLD = "WITHDRAWAL_HOLD"
    WITHDRAWAL_RELEASE = "WITHDRAWAL_RELEASE"


class LedgerEntry(models.Model):
    """One immutable balance change. `operation_id` makes deposits and staff adjustments idempotent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="ledger")
    delta_free = MoneyField()
    delta_locked = MoneyField()
    reason = models.CharField(max_length=24, choices=LedgerReason.choices)
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    trade_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    withdrawal_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    operation_id = models.CharField(max_length=64, blank=True, default="")
    note = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["user", "asset", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["operation_id", "user", "asset"],
                condition=~Q(operation_id=""),
                name="ledger_operation_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.user} {self.asset} free {self.delta_free:+} locked {self.delta_locked:+}"


class ApiKeyScope(models.TextChoices):
    READ = "READ"
    TRADE = "TRADE"


class ApiKey(models.Model):
    """A key for signed requests. The secret is kept Fernet-encrypted (see accounts/api_keys.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=64, blank=True, default="")
    key = models.CharField(max_length=64, unique=True, help_text="Public key id, sent as X-QX-APIKEY.")
    secret_encrypted = models.TextField()
    can_read = models.BooleanField(default=True)
    can_trade = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.key} ({self.user})"

    @property
    def scopes(self) -> list[str]:
        return [s for s, ok in ((ApiKeyScope.READ, self.can_read), (ApiKeyScope.TRADE, self.can_trade)) if ok]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Favourite(models.Model):
    """A market the user starred on the markets page (listed first, and under "Favourites")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    instrument = models.ForeignKey("trading.Instrument", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "instrument"], name="favourite_once_per_market")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.instrument_id}"


class StaffActionKind(models.TextChoices):
    """What a staff member did (accounts.audit.record_staff_action)."""

    INSTRUMENT_HALT = "INSTRUMENT_HALT"
    INSTRUMENT_RESUME = "INSTRUMENT_RESUME"
    INSTRUMENT_CANCEL_ONLY = "INSTRUMENT_CANCEL_ONLY"
    ORDER_FORCE_CANCEL = "ORDER_FORCE_CANCEL"
    BALANCE_ADJUSTMENT = "BALANCE_ADJUSTMENT"
    WITHDRAWAL_APPROVE = "WITHDRAWAL_APPROVE"
    WITHDRAWAL_REJECT = "WITHDRAWAL_REJECT"


class StaffActionOutcome(models.TextChoices):
    DONE = "DONE", "Done (the engine committed it)"
    REFUSED = "REFUSED", "Refused (nothing changed)"
    UNKNOWN = "UNKNOWN", "Unknown (the engine did not answer in time)"


class StaffAction(models.Model):
    """The audit trail of staff actions: who, when, what (action, target, details) and why. Rows are
    only ever inserted (admin shows them read-only; nothing updates or deletes them)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_actions"
    )
    action = models.CharField(max_length=40, choices=StaffActionKind.choices)
    target_type = models.CharField(max_length=60, help_text='"app_label.model" of the object acted on.')
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=200, help_text="The target as it read at the time.")
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=10, choices=StaffActionOutcome.choices)

    class Meta:
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target_repr} by {self.actor_id} ({self.outcome})"


class WithdrawalStatus(models.TextChoices):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"


class Withdrawal(models.Model):
    """A request to send funds out (simulated). Its amount is held (free -> locked) while PENDING;
    staff complete it (the amount leaves, `fee` of it to the fee account) or reject it, the user may
    cancel it. Written only by the engine worker (engine.worker.withdrawals)."""

    id = models.BigIntegerField(primary_key=True, help_text="Assigned by the engine.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="withdrawals")
    client_withdrawal_id = models.CharField(max_length=36)
    amount = MoneyField(help_text="Held at the request; what leaves is amount - fee.")
    fee = MoneyField(default=0, help_text="The asset's withdrawal fee when requested.")
    address = models.CharField(max_length=128)
    status = models.CharField(
        max_length=12, choices=WithdrawalStatus.choices, default=WithdrawalStatus.PENDING
    )
    reason = models.CharField(max_length=200, blank=True, default="", help_text="Why it was rejected.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_withdrawal_id"], name="withdrawal_client_id_once_per_user"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(fee__gte=0) & Q(fee__lt=models.F("amount")),
                name="withdrawal_amount_above_fee",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-id"]),
            models.Index(
                fields=["status"], name="withdrawal_pending_idx", condition=Q(status=WithdrawalStatus.PENDING)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.amount} {self.asset_id} {self.status}"
