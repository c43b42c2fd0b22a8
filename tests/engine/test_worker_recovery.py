"""Recovery is a rebuild: the state loaded from the database equals the state that wrote it."""

from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync

from engine.client import engine_request
from engine.worker.recovery import exchange_load, state_load
from engine.worker.verify import ledger_verify
from tests.engine.helpers import engine, market_with_traders, place
from trading.models import Order

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def in_one_engine(*commands):
    """Runs commands through ONE engine instance (one event loop), returning its final state hash."""

    async def run():
        replies = [await engine_request(c) for c in commands]
        replies.append(await engine_request({"op": "state"}))
        return replies

    return async_to_sync(run)()


def test_a_rebuilt_engine_has_the_same_books_balances_and_priorities():
    _, alice, bob = market_with_traders()
    base = {"symbol": "BTC-USD", "order_type": "LIMIT", "op": "place"}
    replies = in_one_engine(
        {
            **base,
            "user_id": alice.pk,
            "side": "SELL",
            "price": "50000",
            "qty": "0.5",
            "client_order_id": "a1",
        },
        {
            **base,
            "user_id": alice.pk,
            "side": "SELL",
            "price": "50000",
            "qty": "0.3",
            "client_order_id": "a2",
        },
        {**base, "user_id": bob.pk, "side": "BUY", "price": "50000", "qty": "0.6", "client_order_id": "b1"},
        {**base, "user_id": bob.pk, "side": "BUY", "price": "49000", "qty": "0.2", "client_order_id": "b2"},
        {
            **base,
            "user_id": alice.pk,
            "side": "SELL",
            "price": "48000",
            "qty": "0.1",
            "client_order_id": "s1",
            "order_type": "STOP_LOSS_LIMIT",
            "stop_price": "48500",
        },
    )
    live_hash = replies[-1]["state_hash"]
    rebuilt = exchange_load()[0]
    assert rebuilt.state_hash() == live_hash
    assert rebuilt.check_invariants() == []
    # a1 was filled first (FIFO), a2 is partly filled and keeps its place; the stop waits
    views = {v.order_id: v for v in rebuilt.open_orders("BTC-USD")}
    a2 = Order.objects.get(client_order_id="a2")
    assert views[a2.id].remaining == 200  # lots of 0.001
    assert Order.objects.get(client_order_id="a1").status == "FILLED"
    stop = Order.objects.get(client_order_id="s1")
    assert views[stop.id].waiting and not stop.triggered


def test_recovery_continues_ids_and_sequences():
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.5")
    place(bob, "BUY", "50000", "0.1")
    state = state_load()
    assert state.next_order_id == Order.objects.order_by("-id").first().id + 1
    assert state.ex.seq("BTC-USD") > 0
    assert state.ex.last_price("BTC-USD") == 5_000_000  # ticks of 0.01


def test_ledger_verification_passes_after_recovery_of_an_active_market():
    _, alice, bob = market_with_traders()
    for i in range(5):
        place(alice, "SELL", str(50000 + i * 10), "0.1")
        place(bob, "BUY", str(50000 + i * 5), "0.05")
    order = place(bob, "BUY", "40000", "0.3")["order"]
    engine("amend", user_id=bob.pk, order_id=order["id"], qty="0.1")
    report = ledger_verify(engine_hash=engine("state")["state_hash"])
    assert report.ok, report.lines()
    assert Order.objects.get(pk=order["id"]).remaining == Decimal("0.1")


def test_one_engine_answers_a_retry_of_an_ended_order_from_the_database():
    _, _, bob = market_with_traders()
    base = {
        "op": "place",
        "symbol": "BTC-USD",
        "order_type": "LIMIT",
        "side": "BUY",
        "price": "50000",
        "qty": "0.1",
        "tif": "IOC",
        "user_id": bob.pk,
        "client_order_id": "ioc-1",
    }
    first, again, state = in_one_engine(base, base)
    assert first["order"]["status"] == "EXPIRED"
    assert (again["duplicate"], again["order"]["id"]) == (True, first["order"]["id"])
    assert state["ok"]
