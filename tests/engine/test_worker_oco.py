"""OCO order lists and trailing stops through the engine worker (embedded): one command places a
list with one hold, a leg's fill or trigger ends the other in the same step, a cancel ends the
list, trailing stops follow trades, and a restart keeps all of it."""

from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync

from accounts.models import Balance
from engine.client import engine_request
from engine.worker.recovery import exchange_load, state_load
from engine.worker.verify import ledger_verify
from tests.engine.helpers import engine, market_with_traders, place
from tests.factories import fund, make_user
from trading.models import Order, OrderList

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def bal(user, code):
    b = Balance.objects.get(user=user, asset__code=code)
    return b.free, b.locked


def assert_books_balance():
    report = ledger_verify(engine_hash=engine("state")["state_hash"])
    assert report.ok, report.lines()


def oco(user, side="SELL", qty="0.5", limit_price="52000", stop_price="48000", stop_limit="47900", **extra):
    stop = {"price": stop_limit, "client_order_id": extra.pop("stop_coid", "stop-1")}
    if stop_price is not None:
        stop["stop_price"] = stop_price
    if "trailing_delta" in extra:
        stop["trailing_delta"] = extra.pop("trailing_delta")
    command = {
        "user_id": user.pk,
        "symbol": "BTC-USD",
        "side": side,
        "qty": qty,
        "client_list_id": extra.pop("client_list_id", "list-1"),
        "limit": {"price": limit_price, "client_order_id": extra.pop("limit_coid", "limit-1")},
        "stop": stop,
        **extra,
    }
    return engine("place_oco", **command)


def legs(reply):
    limit, stop = reply["order_list"]["orders"]
    return limit, stop


def third_trader():
    carol = make_user("carol")
    fund(carol, "BTC", "1")
    return carol


def trade_at(price, seller, buyer, qty="0.01"):
    """One trade at `price` between two other orders (the seller rests, the buyer takes)."""
    place(seller, "SELL", price, qty)
    place(buyer, "BUY", price, qty)


def test_a_list_is_one_command_with_two_legs_and_one_hold():
    _, alice, _ = market_with_traders()
    reply = oco(alice)
    assert reply["ok"] and reply["duplicate"] is False
    lst = reply["order_list"]
    assert (lst["status"], lst["client_list_id"], lst["symbol"]) == ("EXECUTING", "list-1", "BTC-USD")
    limit, stop = legs(reply)
    assert (limit["type"], limit["status"], limit["order_list_id"]) == ("LIMIT_MAKER", "NEW", lst["id"])
    assert (stop["type"], stop["stop_price"], stop["trigger_price"], stop["triggered"]) == (
        "STOP_LOSS_LIMIT",
        "48000",
        "48000",
        False,
    )
    # one hold for the list: 0.5 BTC, not 1.0
    assert bal(alice, "BTC") == (Decimal("9.5"), Decimal("0.5"))
    row = OrderList.objects.get(pk=lst["id"])
    assert (row.user_id, row.status) == (alice.pk, "EXECUTING")
    assert set(Order.objects.filter(order_list=row).values_list("client_order_id", flat=True)) == {
        "limit-1",
        "stop-1",
    }
    assert_books_balance()


def test_a_buy_list_holds_the_higher_limit_price_once():
    _, alice, _ = market_with_traders()
    reply = oco(alice, side="BUY", limit_price="48000", stop_price="52000", stop_limit="52100")
    assert reply["order_list"]["status"] == "EXECUTING", reply
    assert bal(alice, "USD") == (Decimal("100000") - Decimal("26050"), Decimal("26050"))
    assert_books_balance()


def test_the_same_client_list_id_returns_the_original_list_and_changes_nothing():
    _, alice, _ = market_with_traders()
    first = oco(alice)
    again = oco(alice, limit_price="53000", limit_coid="other-l", stop_coid="other-s")
    assert again["duplicate"] is True
    assert again["order_list"]["id"] == first["order_list"]["id"]
    assert again["order_list"]["orders"][0]["price"] == "52000"
    assert OrderList.objects.count() == 1 and Order.objects.count() == 2


def test_a_leg_client_order_id_used_before_refuses_the_list():
    _, alice, _ = market_with_traders()
    place(alice, "SELL", "60000", "0.1", client_order_id="taken")
    reply = oco(alice, limit_coid="taken")
    assert (reply["ok"], reply["reason"]) == (False, "WORKER_DUPLICATE_CLIENT_ORDER_ID")
    assert OrderList.objects.count() == 0 and Order.objects.count() == 1


def test_prices_on_the_wrong_sides_are_refused_and_change_nothing():
    _, alice, _ = market_with_traders()
    reply = oco(alice, limit_price="47000")  # SELL: the limit must be above the stop
    assert (reply["ok"], reply["reason"]) == (False, "FILTER_OCO_PRICES")
    assert not OrderList.objects.exists() and not Order.objects.exists()
    assert bal(alice, "BTC") == (Decimal("10"), Decimal("0"))


@pytest.mark.parametrize("delta", [0, 2001])
def test_a_trailing_delta_out_of_range_is_refused(delta):
    _, alice, _ = market_with_traders()
    reply = oco(alice, stop_price=None, trailing_delta=delta)
    assert (reply["ok"], reply["reason"]) == (False, "FILTER_TRAILING_DELTA")
    assert not Order.objects.exists()


def test_a_fill_of_the_limit_leg_expires_the_stop_leg_in_the_same_step():
    _, alice, bob = market_with_traders()
    limit, stop = legs(oco(alice))
    taker = place(bob, "BUY", "52000", "0.2")
    assert taker["order"]["status"] == "FILLED"
    limit_row, stop_row = Order.objects.get(pk=limit["id"]), Order.objects.get(pk=stop["id"])
    assert (limit_row.status, limit_row.remaining) == ("PARTIALLY_FILLED", Decimal("0.3"))
    assert (stop_row.status, stop_row.reason) == ("EXPIRED", "MATCHING_OCO_OTHER_LEG")
    # the list runs on until its last open leg ends
    assert OrderList.objects.get().status == "EXECUTING"
    assert bal(alice, "BTC") == (Decimal("9.5"), Decimal("0.3"))
    assert_books_balance()
    place(bob, "BUY", "52000", "0.3")
    assert OrderList.objects.get().status == "ALL_DONE"
    assert_books_balance()


def test_a_triggered_stop_leg_expires_the_limit_leg_and_says_it_triggered():
    _, alice, bob = market_with_traders()
    carol = third_trader()
    limit, stop = legs(oco(alice))
    trade_at("48000", carol, bob)
    stop_row, limit_row = Order.objects.get(pk=stop["id"]), Order.objects.get(pk=limit["id"])
    assert stop_row.triggered and stop_row.triggered_at is not None
    assert stop_row.trigger_price == Decimal("48000")
    assert (limit_row.status, limit_row.reason) == ("EXPIRED", "MATCHING_OCO_OTHER_LEG")
    assert stop_row.status == "NEW"  # it rests at 47900 now
    assert OrderList.objects.get().status == "EXECUTING"
    assert_books_balance()


def test_canceling_one_leg_cancels_the_list():
    _, alice, _ = market_with_traders()
    limit, stop = legs(oco(alice))
    reply = engine("cancel", user_id=alice.pk, order_id=stop["id"])
    assert reply["ok"]
    assert Order.objects.get(pk=limit["id"]).reason == "MATCHING_OCO_OTHER_LEG"
    assert set(Order.objects.values_list("status", flat=True)) == {"CANCELED"}
    assert OrderList.objects.get().status == "ALL_DONE"
    assert bal(alice, "BTC") == (Decimal("10"), Decimal("0"))
    assert_books_balance()


def test_cancel_list_cancels_both_legs_and_refuses_another_user():
    _, alice, bob = market_with_traders()
    lst = oco(alice)["order_list"]
    refused = engine("cancel_list", user_id=bob.pk, list_id=lst["id"])
    assert (refused["ok"], refused["reason"]) == (False, "MATCHING_UNKNOWN_ORDER")
    assert OrderList.objects.get().status == "EXECUTING"
    reply = engine("cancel_list", user_id=alice.pk, list_id=lst["id"])
    assert reply["order_list"]["status"] == "ALL_DONE"
    assert [o["status"] for o in reply["order_list"]["orders"]] == ["CANCELED", "CANCELED"]
    assert bal(alice, "BTC") == (Decimal("10"), Decimal("0"))
    again = engine("cancel_list", user_id=alice.pk, list_id=lst["id"])
    assert (again["ok"], again["reason"]) == (False, "MATCHING_UNKNOWN_ORDER")
    assert_books_balance()


def test_a_list_whose_limit_leg_would_take_is_rejected_whole():
    _, alice, bob = market_with_traders()
    place(bob, "BUY", "52000", "0.1")
    reply = oco(alice)
    assert reply["ok"] and reply["order_list"]["status"] == "REJECTED"
    assert [(o["status"], o["reason"]) for o in reply["order_list"]["orders"]] == [
        ("REJECTED", "MATCHING_WOULD_TAKE"),
        ("REJECTED", "MATCHING_OCO_OTHER_LEG"),
    ]
    assert OrderList.objects.get().status == "REJECTED"
    assert bal(alice, "BTC") == (Decimal("10"), Decimal("0"))
    assert_books_balance()


def test_a_trailing_stop_follows_the_peak_and_triggers_from_trades():
    _, alice, bob = market_with_traders()
    carol = third_trader()
    trade_at("50000", carol, bob)
    reply = engine("place", user_id=alice.pk, symbol="BTC-USD", side="SELL", order_type="STOP_LOSS_LIMIT",
                   price="40000", qty="0.5", trailing_delta=100, client_order_id="trail-1")  # fmt: skip
    order = reply["order"]
    assert (order["trailing_delta"], order["trigger_price"], order["triggered"]) == (100, "49500", False)
    trade_at("51000", carol, bob)  # a new peak: the trigger follows (1% below)
    row = Order.objects.get(pk=order["id"])
    assert (row.trail_peak, row.trigger_price, row.triggered) == (Decimal("51000"), Decimal("50490"), False)
    trade_at("50500", carol, bob)  # above the trigger: waits
    assert not Order.objects.get(pk=order["id"]).triggered
    trade_at("50490", carol, bob)  # at the trigger: triggers
    row = Order.objects.get(pk=order["id"])
    assert row.triggered and row.triggered_at is not None and row.trigger_price == Decimal("50490")
    assert_books_balance()


def test_a_restart_keeps_an_armed_list_and_a_trailing_stop_with_its_peak():
    _, alice, bob = market_with_traders()
    carol = third_trader()
    trade_at("50000", carol, bob)
    limit, stop = legs(oco(alice, stop_price=None, trailing_delta=200, stop_limit="45000"))
    trade_at("51000", carol, bob)
    state = state_load()  # what a restarted worker starts from
    view = state.ex.order(stop["id"])
    assert (view.oco_leg, view.trail_peak, view.trailing_delta) == (limit["id"], 5_100_000, 200)
    assert state.lists[limit["order_list_id"]].leg_ids == (limit["id"], stop["id"])
    assert state.ex.check_invariants() == []
    assert exchange_load()[0].state_hash() == engine("state")["state_hash"]
    # each engine request here starts a fresh (embedded) worker, which rebuilds from the database:
    # a trade at the trailing trigger (51000 * 0.98 = 49980) still triggers the stop and ends the list
    trade_at("49980", carol, bob)
    assert Order.objects.get(pk=stop["id"]).triggered
    assert Order.objects.get(pk=limit["id"]).reason == "MATCHING_OCO_OTHER_LEG"
    assert_books_balance()


def test_one_engine_recognises_a_retried_list_before_and_after_commit():
    _, alice, _ = market_with_traders()
    command = {
        "op": "place_oco",
        "user_id": alice.pk,
        "symbol": "BTC-USD",
        "side": "SELL",
        "qty": "0.1",
        "client_list_id": "L",
        "limit": {"price": "52000", "client_order_id": "l"},
        "stop": {"price": "47900", "stop_price": "48000", "client_order_id": "s"},
    }

    async def run():
        return [await engine_request(command), await engine_request(command)]

    first, again = async_to_sync(run)()
    assert again["duplicate"] and again["order_list"]["id"] == first["order_list"]["id"]
    assert OrderList.objects.count() == 1


def test_a_buy_list_partly_filled_keeps_only_the_limit_legs_hold():
    _, alice, bob = market_with_traders()
    _, stop = legs(oco(alice, side="BUY", limit_price="48000", stop_price="52000", stop_limit="52100"))
    place(bob, "SELL", "48000", "0.2")
    assert Order.objects.get(pk=stop["id"]).reason == "MATCHING_OCO_OTHER_LEG"
    # the list's hold (52100 x 0.5) passed to the limit leg alone: 48000 x 0.3 left
    assert bal(alice, "USD")[1] == Decimal("14400")
    assert_books_balance()


def test_amending_one_leg_amends_the_list_and_its_one_hold():
    _, alice, _ = market_with_traders()
    limit, _ = legs(oco(alice))
    reply = engine("amend", user_id=alice.pk, order_id=limit["id"], qty="0.2")
    assert reply["ok"], reply
    assert {o.remaining for o in Order.objects.all()} == {Decimal("0.2")}
    assert bal(alice, "BTC") == (Decimal("9.8"), Decimal("0.2"))
    assert OrderList.objects.get().status == "EXECUTING"
    assert_books_balance()


def test_the_dead_mans_switch_cancels_a_list_once_and_the_books_balance():
    from tests.engine.test_worker_timers import Engine, run, until_canceled

    _, alice, _ = market_with_traders()
    command = {
        "user_id": alice.pk, "symbol": "BTC-USD", "side": "SELL", "qty": "0.5", "client_list_id": "dms",
        "limit": {"price": "52000", "client_order_id": "dms-l"},
        "stop": {"price": "47900", "stop_price": "48000", "client_order_id": "dms-s"},
    }  # fmt: skip

    async def scenario():
        async with Engine() as eng:
            placed = await eng("place_oco", **command)
            limit_id, stop_id = (o["id"] for o in placed["order_list"]["orders"])
            await eng("cancel_after", user_id=alice.pk, timeout_ms=300, symbol="BTC-USD")
            await until_canceled(limit_id)
            await until_canceled(stop_id)
            return limit_id, stop_id

    limit_id, stop_id = run(scenario)
    # the switch names itself on both legs (it canceled the list, whichever leg came first)
    assert {Order.objects.get(pk=i).reason for i in (limit_id, stop_id)} == {"CANCEL_AFTER"}
    assert OrderList.objects.get().status == "ALL_DONE"
    assert bal(alice, "BTC") == (Decimal("10"), Decimal("0"))
    assert_books_balance()
