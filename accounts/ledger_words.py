"""The ledger's reasons in a trader's words (the ledger page and its reason filter; CSV and the API
keep the codes)."""

from typing import Any

from accounts.models import LedgerReason

LEDGER_REASON_WORDS = {
    LedgerReason.DEPOSIT: "Deposit",
    LedgerReason.WITHDRAWAL: "Withdrawal sent",
    LedgerReason.ORDER_HOLD: "Held for an order",
    LedgerReason.ORDER_RELEASE: "Released from an order",
    LedgerReason.TRADE: "Trade",
    LedgerReason.FEE: "Fee",
    LedgerReason.ADJUSTMENT: "Adjustment by the exchange",
    LedgerReason.WITHDRAWAL_HOLD: "Held for a withdrawal",
    LedgerReason.WITHDRAWAL_RELEASE: "Withdrawal returned",
}
"""Every LedgerReason; a withdrawal's entries: held when requested, returned when canceled or
rejected (the note says which, and the staff's reason), sent when completed (its fee as "Fee")."""

LEDGER_REASON_CHOICES = [(reason.value, LEDGER_REASON_WORDS[reason]) for reason in LedgerReason]


def ledger_reason_words(entry: Any) -> str:
    """One entry's reason in words; a withdrawal's fee says so."""
    if entry.reason == LedgerReason.FEE and entry.withdrawal_id:
        return "Withdrawal fee"
    return LEDGER_REASON_WORDS.get(entry.reason, entry.reason)
