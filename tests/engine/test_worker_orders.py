"""The engine worker end to end (embedded): a reply means committed, balances and fees are exact."""

from decimal import Decimal

import pytest

from accounts.models import Balance, LedgerEntry
from engine.worker.verify import ledger_verify
from tests.engine.helpers import engine, market_with_traders, place
from trading.models import Order, Position, Trade

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def bal(user, code):
    b = Balance.objects.get(user=user, asset__code=code)
    return b.free, b.locked


def assert_books_balance():
    report = ledger_verify(engine_hash=engine("state")["state_hash"])
    assert report.ok, report.lines()


def test_a_resting_order_is_committed_before_the_reply():
    _, alice, _ = market_with_traders()
    reply = place(alice, "SELL", "50000", "0.5")
    assert reply["ok"] and reply["order"]["status"] == "NEW"
    order = Order.objects.get(pk=reply["order"]["id"])
    assert (order.status, order.remaining, order.price) == ("NEW", Decimal("0.5"), Decimal("50000"))
    assert bal(alice, "BTC") == (Decimal("9.5"), Decimal("0.5"))
    assert_books_balance()


def test_crossing_orders_trade_at_the_maker_price_with_fees_and_positions():
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.5")
    reply = place(bob, "BUY", "50100", "0.2")
    assert reply["order"]["status"] == "FILLED"
    [fill] = reply["order"]["fills"]
    assert (fill["price"], fill["qty"], fill["fee"], fill["fee_asset"], fill["liquidity"]) == (
        "50000",
        "0.2",
        "0.0004",
        "BTC",
        "TAKER",
    )
    trade = Trade.objects.get()
    assert (trade.price, trade.qty, trade.quote_qty, trade.taker_fee, trade.maker_fee) == (
        Decimal("50000"),
        Decimal("0.2"),
        Decimal("10000"),
        Decimal("0.0004"),
        Decimal("10"),
    )
    # bob paid 10000 USD at the maker's price (the 20 USD of price improvement went back to free)
    assert bal(bob, "USD") == (Decimal("90000"), Decimal("0"))
    assert bal(bob, "BTC") == (Decimal("10.1996"), Decimal("0"))
    # alice delivered 0.2 BTC from her hold and received 10000 USD less the 0.1% maker fee
    assert bal(alice, "BTC") == (Decimal("9.5"), Decimal("0.3"))
    assert bal(alice, "USD") == (Decimal("109990"), Decimal("0"))
    bob_pos = Position.objects.get(user=bob)
    assert (bob_pos.qty, bob_pos.avg_price) == (Decimal("0.2"), Decimal("50000"))
    assert Position.objects.get(user=alice).qty == Decimal("-0.2")
    assert_books_balance()


def test_the_same_client_order_id_returns_the_original_order_and_creates_nothing():
    _, alice, _ = market_with_traders()
    first = place(alice, "SELL", "50000", "0.5", client_order_id="mine-1")
    again = place(alice, "SELL", "51000", "0.7", client_order_id="mine-1")
    assert again["duplicate"] is True
    assert again["order"]["id"] == first["order"]["id"]
    assert again["order"]["price"] == "50000"
    assert Order.objects.count() == 1
    assert bal(alice, "BTC") == (Decimal("9.5"), Decimal("0.5"))


def test_an_unaffordable_order_is_refused_and_changes_nothing():
    _, alice, _ = market_with_traders()
    entries = LedgerEntry.objects.count()
    reply = place(alice, "BUY", "50000", "2.001")  # 100050 USD > 100000
    assert reply == {
        "ok": False,
        "reason": "RISK_INSUFFICIENT_FUNDS",
        "msg": "Insufficient balance for this order.",
    }
    assert not Order.objects.exists()
    assert LedgerEntry.objects.count() == entries
    assert bal(alice, "USD") == (Decimal("100000"), Decimal("0"))


def test_cancel_releases_the_hold():
    _, alice, _ = market_with_traders()
    order = place(alice, "BUY", "40000", "1")["order"]
    assert bal(alice, "USD") == (Decimal("60000"), Decimal("40000"))
    reply = engine("cancel", user_id=alice.pk, order_id=order["id"])
    assert reply["order"]["status"] == "CANCELED"
    assert bal(alice, "USD") == (Decimal("100000"), Decimal("0"))
    assert Order.objects.get(pk=order["id"]).status == "CANCELED"
    assert_books_balance()


def test_another_users_order_cannot_be_canceled():
    _, alice, bob = market_with_traders()
    order = place(alice, "BUY", "40000", "1")["order"]
    reply = engine("cancel", user_id=bob.pk, order_id=order["id"])
    assert reply["reason"] == "MATCHING_UNKNOWN_ORDER"
    assert Order.objects.get(pk=order["id"]).status == "NEW"


def test_amend_down_keeps_the_order_and_releases_the_difference():
    _, alice, _ = market_with_traders()
    order = place(alice, "BUY", "40000", "1")["order"]
    reply = engine("amend", user_id=alice.pk, order_id=order["id"], qty="0.25")
    assert (reply["order"]["remaining"], reply["order"]["status"]) == ("0.25", "NEW")
    assert bal(alice, "USD") == (Decimal("90000"), Decimal("10000"))
    assert (
        engine("amend", user_id=alice.pk, order_id=order["id"], qty="0.5")["reason"] == "MATCHING_BAD_AMEND"
    )
    assert_books_balance()


def test_cancel_all_cancels_only_mine_on_that_symbol():
    _, alice, bob = market_with_traders()
    place(alice, "BUY", "40000", "0.1")
    place(alice, "SELL", "60000", "0.1")
    place(bob, "BUY", "39000", "0.1")
    reply = engine("cancel_all", user_id=alice.pk, symbol="BTC-USD")
    assert len(reply["orders"]) == 2
    assert Order.objects.filter(status="NEW").get().user == bob
    assert_books_balance()


def test_a_market_buy_by_quote_amount_spends_at_most_that_amount():
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.1")
    place(alice, "SELL", "51000", "0.1")
    reply = place(bob, "BUY", order_type="MARKET", quote_qty="7550")
    order = reply["order"]
    assert order["status"] in ("FILLED", "EXPIRED")
    assert Decimal(order["quote_filled"]) <= Decimal("7550")
    assert Decimal(order["filled"]) == Decimal("0.15")  # 0.1 @ 50000 + 0.05 @ 51000 = 7550
    assert bal(bob, "USD") == (Decimal("92450"), Decimal("0"))
    assert_books_balance()


def test_a_post_only_order_that_would_take_is_stored_as_rejected():
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.1")
    reply = place(bob, "BUY", "50000", "0.1", order_type="LIMIT_MAKER")
    assert (reply["ok"], reply["order"]["status"], reply["order"]["reason"]) == (
        True,
        "REJECTED",
        "MATCHING_WOULD_TAKE",
    )
    assert Order.objects.get(pk=reply["order"]["id"]).status == "REJECTED"
    assert bal(bob, "USD") == (Decimal("100000"), Decimal("0"))
    assert_books_balance()


def test_a_stop_order_waits_then_enters_the_book_when_the_price_reaches_it():
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.1")
    place(bob, "BUY", "50000", "0.05")  # last price 50000
    stop = place(alice, "SELL", "46000", "0.2", order_type="STOP_LOSS_LIMIT", stop_price="49000")["order"]
    assert stop["status"] == "NEW"
    place(bob, "BUY", "47000", "0.3")  # rests below the stop
    place(alice, "SELL", "49000", "0.01", client_order_id="x")  # no trade yet: 49000 > bid 47000
    place(bob, "BUY", "49000", "0.01")  # trades at 49000 -> triggers the stop, which sells into the 47000 bid
    stored = Order.objects.get(pk=stop["id"])
    assert stored.triggered
    assert stored.status == "FILLED"
    assert Trade.objects.filter(maker_order__price=Decimal("47000")).exists()
    assert_books_balance()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"price": "50000.001"}, "FILTER_TICK_SIZE"),
        ({"qty": "0.0001"}, "FILTER_MIN_QTY"),
        ({"qty": "0.0015"}, "FILTER_LOT_SIZE"),
        ({"qty": "5000"}, "FILTER_MAX_QTY"),
        ({"price": "0.01", "qty": "0.001"}, "FILTER_MIN_NOTIONAL"),
        ({"symbol": "DOGE-USD"}, "WORKER_UNKNOWN_SYMBOL"),
        ({"side": "HOLD"}, "WORKER_BAD_COMMAND"),
        ({"price": "NaN"}, "WORKER_BAD_COMMAND"),
        ({"price": "-1"}, "WORKER_BAD_COMMAND"),
        ({"tif": "DAY"}, "WORKER_BAD_COMMAND"),
    ],
)
def test_bad_orders_are_refused_with_a_reason_and_write_nothing(fields, reason):
    _, alice, _ = market_with_traders()
    command = {"side": "BUY", "price": "50000", "qty": "0.1", **fields}
    reply = place(alice, command.pop("side"), command.pop("price"), command.pop("qty"), **command)
    assert (reply["ok"], reply["reason"]) == (False, reason)
    assert not Order.objects.exists()


def test_a_halted_instrument_refuses_new_orders_but_cancels_still_work():
    _, alice, _ = market_with_traders()
    order = place(alice, "BUY", "40000", "0.1")["order"]
    engine("set_status", symbol="BTC-USD", status="HALTED", staff_id=alice.pk)
    assert place(alice, "BUY", "40000", "0.1")["reason"] == "WORKER_INSTRUMENT_HALTED"
    assert engine("cancel", user_id=alice.pk, order_id=order["id"])["ok"]
    engine("set_status", symbol="BTC-USD", status="CANCEL_ONLY", staff_id=alice.pk)
    assert place(alice, "BUY", "40000", "0.1")["reason"] == "WORKER_CANCEL_ONLY"
    engine("set_status", symbol="BTC-USD", status="TRADING", staff_id=alice.pk)
    assert place(alice, "BUY", "40000", "0.1")["ok"]


def test_an_unknown_op_is_refused_and_the_worker_keeps_serving():
    _, alice, _ = market_with_traders()
    assert engine("explode")["reason"] == "WORKER_BAD_COMMAND"
    assert place(alice, "BUY", "40000", "0.1")["ok"]


def test_a_retry_of_an_order_that_already_ended_returns_it_without_a_new_order():
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.1")
    first = place(bob, "BUY", "50000", "0.3", tif="IOC", client_order_id="ioc-1")["order"]
    assert first["status"] == "EXPIRED"
    again = place(bob, "BUY", "50000", "0.3", tif="IOC", client_order_id="ioc-1")
    assert (again["duplicate"], again["order"]["id"]) == (True, first["id"])
    assert Order.objects.filter(client_order_id="ioc-1").count() == 1
