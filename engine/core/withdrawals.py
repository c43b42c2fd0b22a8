"""Withdrawals in the risk layer: a hold that waits for a decision, then leaves or comes back.

A withdrawal moves its amount from free to locked at once (``withdrawal_hold``), like an order's
hold; staff (or the user, by cancelling) decide later. ``withdrawal_release`` gives it back to free;
``withdrawal_complete`` sends it out: the amount less the fee leaves the exchange (WITHDRAWAL, the
only event that changes the external flow) and the fee goes to the fee account (FEE), so per asset
``sum(free + locked) == deposits - withdrawals + adjustments`` still holds exactly.

A mixin of ``risk.Exchange``: the holds are kept by withdrawal id in ``_withdrawal_holds`` and are
part of the money invariants (``check_invariants`` counts them in the locked balances) and of the
state hash.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.core.enums import BalanceReason, Reason
from engine.core.errors import RestoreError
from engine.core.events import BalanceEvent, Event, Refused


@dataclass(slots=True)
class WithdrawalHold:
    owner: int
    asset: str
    atoms: int


class WithdrawalHolds:
    """The withdrawal commands of ``risk.Exchange`` (see the module docstring)."""

    fee_owner: int
    _withdrawal_holds: dict[int, WithdrawalHold]

    if TYPE_CHECKING:  # provided by risk.Exchange and risk_views.ExchangeViews

        def balance(self, owner: int, asset: str) -> tuple[int, int]: ...

        def _flow(self, asset: str, atoms: int) -> None: ...

        def _change(
            self, owner: int, asset: str, free: int, locked: int, reason: BalanceReason
        ) -> BalanceEvent: ...

    def withdrawal_hold(self, withdrawal_id: int, owner: int, asset: str, atoms: int) -> list[Event]:
        """Moves ``atoms`` of the owner's free ``asset`` to locked for withdrawal ``withdrawal_id``.

        Refused: RISK_BAD_AMOUNT (not a positive int), RISK_DUPLICATE_WITHDRAWAL (the id holds already),
        RISK_INSUFFICIENT_FUNDS (free < atoms: a withdrawal never overdraws)."""
        if type(atoms) is not int or atoms <= 0:
            return [Refused("withdrawal_hold", None, None, Reason.RISK_BAD_AMOUNT, owner)]
        if withdrawal_id in self._withdrawal_holds:
            return [Refused("withdrawal_hold", None, None, Reason.RISK_DUPLICATE_WITHDRAWAL, owner)]
        if self.balance(owner, asset)[0] < atoms:
            return [Refused("withdrawal_hold", None, None, Reason.RISK_INSUFFICIENT_FUNDS, owner)]
        self._withdrawal_holds[withdrawal_id] = WithdrawalHold(owner, asset, atoms)
        return [self._event(withdrawal_id, owner, asset, -atoms, atoms, BalanceReason.WITHDRAWAL_HOLD)]

    def withdrawal_release(self, withdrawal_id: int) -> list[Event]:
        """Gives a pending withdrawal's hold back to free (cancelled or rejected)."""
        h = self._withdrawal_holds.pop(withdrawal_id, None)
        if h is None:
            return [Refused("withdrawal_release", None, None, Reason.RISK_UNKNOWN_WITHDRAWAL)]
        return [
            self._event(withdrawal_id, h.owner, h.asset, h.atoms, -h.atoms, BalanceReason.WITHDRAWAL_RELEASE)
        ]

    def withdrawal_complete(self, withdrawal_id: int, fee: int = 0) -> list[Event]:
        """The held amount leaves: ``atoms - fee`` out of the exchange, ``fee`` to the fee account.

        Refused: RISK_UNKNOWN_WITHDRAWAL, RISK_BAD_FEE (fee not an int in 0 <= fee < atoms)."""
        h = self._withdrawal_holds.get(withdrawal_id)
        if h is None:
            return [Refused("withdrawal_complete", None, None, Reason.RISK_UNKNOWN_WITHDRAWAL)]
        if type(fee) is not int or not 0 <= fee < h.atoms:
            return [Refused("withdrawal_complete", None, None, Reason.RISK_BAD_FEE, h.owner)]
        del self._withdrawal_holds[withdrawal_id]
        out = h.atoms - fee
        self._flow(h.asset, -out)
        events: list[Event] = [
            self._event(withdrawal_id, h.owner, h.asset, 0, -out, BalanceReason.WITHDRAWAL)
        ]
        if fee:
            events.append(self._event(withdrawal_id, h.owner, h.asset, 0, -fee, BalanceReason.FEE))
            events.append(self._event(withdrawal_id, self.fee_owner, h.asset, fee, 0, BalanceReason.FEE))
        return events

    def withdrawal_held(self, withdrawal_id: int) -> tuple[int, str, int] | None:
        """(owner, asset, atoms) a pending withdrawal holds, or None."""
        h = self._withdrawal_holds.get(withdrawal_id)
        return None if h is None else (h.owner, h.asset, h.atoms)

    def restore_withdrawal_hold(self, withdrawal_id: int, owner: int, asset: str, atoms: int) -> None:
        """Recovery: a pending withdrawal's hold (its atoms are already in the restored locked balance)."""
        if withdrawal_id in self._withdrawal_holds:
            raise RestoreError(f"withdrawal {withdrawal_id} restored twice")
        if type(atoms) is not int or atoms <= 0:
            raise RestoreError(f"withdrawal {withdrawal_id}: atoms must be a positive int, got {atoms}")
        self._withdrawal_holds[withdrawal_id] = WithdrawalHold(owner, asset, atoms)

    def _event(self, withdrawal_id: int, owner: int, asset: str, free: int, locked: int,
               reason: BalanceReason) -> BalanceEvent:  # fmt: skip
        e = self._change(owner, asset, free, locked, reason)
        return BalanceEvent(
            e.owner, e.asset, e.delta_free, e.delta_locked, e.reason, withdrawal_id=withdrawal_id
        )
