"""The worker's `test_place` op (engine/worker/whatif.py), end to end: place's checks and reasons,
an exact estimate, and nothing recorded: no rows, no state change, no id used."""

from decimal import Decimal

import pytest

from accounts.models import Balance, LedgerEntry
from tests.engine.helpers import engine, market_with_traders, place
from trading.models import Order, Trade

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def try_place(user, side, price=None, qty=None, **extra):
    command = {"user_id": user.pk, "symbol": "BTC-USD", "side": side, "order_type": "LIMIT"}
    if price is not None:
        command["price"] = str(price)
    if qty is not None:
        command["qty"] = str(qty)
    command.update(extra)
    return engine("test_place", **command)


def tables():
    return (
        list(Order.objects.order_by("id").values_list("id", "status", "remaining")),
        list(Balance.objects.order_by("id").values_list("free", "locked")),
        LedgerEntry.objects.count(),
        Trade.objects.count(),
    )


def test_an_estimate_changes_nothing_and_uses_no_order_id():
    _, alice, bob = market_with_traders()
    first = place(alice, "SELL", "50000", "0.5")["order"]["id"]
    before, state = tables(), engine("state")["state_hash"]
    reply = try_place(bob, "BUY", "50100", "0.7")
    assert reply == {"ok": True, "duplicate": False, "estimate": {
        "status": "PARTIALLY_FILLED", "reason": "", "filled": "0.5", "quote_filled": "25000",
        "fills": [{"price": "50000", "qty": "0.5", "quote_qty": "25000"}], "avg_price": "50000",
        "fee": "0.001", "fee_asset": "BTC", "fee_rate": "0.002", "rests": "0.2", "rest_price": "50100",
        "hold_asset": "USD", "hold": "35070", "locked_after": "10020"}}  # fmt: skip
    assert (tables(), engine("state")["state_hash"]) == (before, state)
    assert place(bob, "BUY", "40000", "0.1")["order"]["id"] == first + 1


def test_refusals_are_the_reasons_and_words_of_a_place():
    _, alice, _ = market_with_traders()
    cases = [
        {"price": "100.005", "qty": "0.1"},  # off the tick
        {"price": "100", "qty": "0.0001"},  # below min qty
        {"price": "100000", "qty": "500"},  # more than alice has
        {"price": "100", "qty": "0.1", "order_type": "MARKET"},  # a MARKET with a price
    ]
    for fields in cases:
        fields = {"side": "BUY", **fields}
        tested = try_place(alice, **fields)
        placed = place(alice, **fields)
        assert not tested["ok"] and tested == placed, fields
    engine("set_status", symbol="BTC-USD", status="HALTED", staff_id=alice.pk)
    tested, placed = try_place(alice, "BUY", "100", "0.1"), place(alice, "BUY", "100", "0.1")
    assert tested == placed and tested["reason"] == "WORKER_INSTRUMENT_HALTED"
    assert not Order.objects.exists()


def test_a_client_order_id_used_by_a_closed_order_answers_the_original():
    """The id is only in the database (the order closed and committed): the batch's one lookup finds
    it for a test order as for a place."""
    _, alice, _ = market_with_traders()
    gone = place(alice, "BUY", "100", "0.1", tif="IOC", client_order_id="used-once")["order"]
    assert gone["status"] == "EXPIRED"
    reply = try_place(alice, "BUY", "200", "0.3", client_order_id="used-once")
    assert (reply["duplicate"], reply["order"]["id"]) == (True, gone["id"])
    fresh = try_place(alice, "BUY", "200", "0.3", client_order_id="never-used")
    assert fresh["duplicate"] is False and fresh["estimate"]["status"] == "NEW"
    assert place(alice, "BUY", "200", "0.3", client_order_id="never-used")["order"]["status"] == "NEW"


def test_a_stop_estimate_waits_with_its_hold():
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.1")
    place(bob, "BUY", "50000", "0.1")  # last price 50000
    reply = try_place(alice, "SELL", "48000", "0.2", order_type="STOP_LOSS_LIMIT", stop_price="49000")
    est = reply["estimate"]
    assert (est["status"], est["rests"], est["hold_asset"], est["hold"]) == ("NEW", "0.2", "BTC", "0.2")
    rejected = try_place(alice, "SELL", "48000", "0.2", order_type="TAKE_PROFIT_LIMIT", stop_price="49000")
    assert rejected["estimate"]["status"] == "REJECTED"
    assert rejected["estimate"]["reason"] == "MATCHING_WOULD_TRIGGER_IMMEDIATELY"
    assert Decimal(est["locked_after"]) == Decimal("0.2")
