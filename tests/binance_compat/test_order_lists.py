"""OCO order lists and trailing stops through the facade, driven by python-binance (its OCO calls,
its user socket) and ccxt (its implicit orderList endpoints), against the live server.

Other modules leave orders resting on the shared books, so each test first finds a price with a clear
book around it (`quiet_price`) and makes its own last trade there: the OCO prices are then relative
to a market nobody else touches while the test runs.
"""

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from binance.exceptions import BinanceAPIException

from tests.binance_compat.conftest import (
    Account,
    account_create,
    api_v1,
    ccxt_binance,
    python_binance_async,
    python_binance_client,
)
from tests.browser.conftest import LiveServer

D = Decimal
SYMBOL = "BTCUSD"
QTY = "0.01"
TIMEOUT = 10


@pytest.fixture(scope="module")
def sam(live: LiveServer) -> Account:
    return account_create(live.url, "oco-sam", {"USD": "10000", "BTC": "1"})


@pytest.fixture(scope="module")
def tia(live: LiveServer) -> Account:
    return account_create(live.url, "oco-tia", {"USD": "10000", "BTC": "1"})


def quiet_price(client: Any) -> D:
    """The middle of SYMBOL's spread (a price no resting order reaches within 2000), where the
    caller then trades between two test accounts so that it is the last trade price."""
    book = client.get_order_book(symbol=SYMBOL, limit=1000)
    best_bid = max((D(p) for p, _ in book["bids"]), default=D(0))
    best_ask = min((D(p) for p, _ in book["asks"]), default=D(60_000))
    low, high = max(best_bid, D(10_000)), best_ask
    assert high - low > 4000, f"no room in {SYMBOL}'s spread: {best_bid} .. {best_ask}"
    return ((low + high) / 2).quantize(D(1))


def trade_at(seller: Any, buyer: Any, price: D) -> None:
    seller.order_limit_sell(symbol=SYMBOL, quantity="0.001", price=str(price))
    bought = buyer.order_limit_buy(symbol=SYMBOL, quantity="0.001", price=str(price))
    assert bought["status"] == "FILLED", bought


def sell_oco(client: Any, price: D, **extra: Any) -> dict[str, Any]:
    params = {
        "symbol": SYMBOL, "side": "SELL", "quantity": QTY, "aboveType": "LIMIT_MAKER",
        "abovePrice": str(price + 100), "belowType": "STOP_LOSS_LIMIT", "belowStopPrice": str(price - 100),
        "belowPrice": str(price - 110), "belowTimeInForce": "GTC", **extra,
    }  # fmt: skip
    return client.create_oco_order(**{k: v for k, v in params.items() if v is not None})  # type: ignore[no-any-return]


def test_a_sell_oco_placed_read_and_ended_by_a_fill(live: LiveServer, sam: Account, tia: Account) -> None:
    seller, buyer = python_binance_client(live.url, sam), python_binance_client(live.url, tia)
    price = quiet_price(seller)
    trade_at(buyer, seller, price)
    placed = sell_oco(seller, price, listClientOrderId="oco-fill-1", aboveClientOrderId="tp-1",
                      belowClientOrderId="sl-1")  # fmt: skip
    head = ("contingencyType", "listStatusType", "listOrderStatus", "listClientOrderId", "symbol")
    assert [placed[k] for k in head] == ["OCO", "EXEC_STARTED", "EXECUTING", "oco-fill-1", SYMBOL]
    list_id = placed["orderListId"]
    reports = {r["clientOrderId"]: r for r in placed["orderReports"]}
    assert [o["orderId"] for o in placed["orders"]] == sorted(r["orderId"] for r in placed["orderReports"])
    assert {r["orderListId"] for r in reports.values()} == {list_id}
    tp, sl = reports["tp-1"], reports["sl-1"]
    assert (tp["type"], tp["price"], tp["status"], "stopPrice" in tp) == (
        "LIMIT_MAKER", f"{price + 100}.00000000", "NEW", False)  # fmt: skip
    assert (sl["type"], sl["stopPrice"], sl["price"], sl["workingTime"]) == (
        "STOP_LOSS_LIMIT", f"{price - 100}.00000000", f"{price - 110}.00000000", -1)  # fmt: skip

    native = api_v1(live.url, sam, "order-lists/")["results"]
    assert [(n["id"], n["client_list_id"], n["status"]) for n in native if n["id"] == list_id] == [
        (list_id, "oco-fill-1", "EXECUTING")
    ]
    assert list_id in [lst["orderListId"] for lst in seller.get_open_oco_orders()]
    assert seller.v3_get_order_list(orderListId=list_id) == {
        k: v for k, v in placed.items() if k != "orderReports"
    }
    assert seller.v3_get_order_list(origClientOrderId="oco-fill-1")["orderListId"] == list_id
    leg = seller.get_order(symbol=SYMBOL, orderId=sl["orderId"])
    assert (leg["orderListId"], leg["isWorking"], leg["status"]) == (list_id, False, "NEW")
    assert seller.get_order(symbol=SYMBOL, orderId=tp["orderId"])["isWorking"] is True

    taken = buyer.order_limit_buy(symbol=SYMBOL, quantity=QTY, price=str(price + 100), timeInForce="IOC")
    assert taken["status"] == "FILLED" and taken["orderListId"] == -1
    done = seller.v3_get_order_list(orderListId=list_id)
    assert (done["listStatusType"], done["listOrderStatus"]) == ("ALL_DONE", "ALL_DONE")
    assert seller.get_order(symbol=SYMBOL, orderId=tp["orderId"])["status"] == "FILLED"
    assert seller.get_order(symbol=SYMBOL, orderId=sl["orderId"])["status"] == "EXPIRED"
    assert list_id not in [lst["orderListId"] for lst in seller.get_open_oco_orders()]
    assert [lst["orderListId"] for lst in seller.v3_get_all_order_list(fromId=list_id)] == [list_id]
    newest = seller.v3_get_all_order_list(startTime=placed["transactionTime"] - 60_000, limit=1)
    assert [(lst["orderListId"], lst["listOrderStatus"]) for lst in newest] == [(list_id, "ALL_DONE")]
    with pytest.raises(BinanceAPIException) as mixed:
        seller.v3_get_all_order_list(fromId=list_id, startTime=0)
    assert mixed.value.code == -1128
    with pytest.raises(BinanceAPIException) as again:
        sell_oco(seller, price, listClientOrderId="oco-fill-1")
    assert (again.value.code, again.value.message) == (-2010, "Duplicate order sent.")


def test_cancelling_a_list_cancels_both_legs(live: LiveServer, sam: Account, tia: Account) -> None:
    seller, buyer = python_binance_client(live.url, sam), python_binance_client(live.url, tia)
    price = quiet_price(seller)
    trade_at(buyer, seller, price)
    placed = sell_oco(seller, price, listClientOrderId="oco-cancel-1")
    canceled = seller.v3_delete_order_list(symbol=SYMBOL, listClientOrderId="oco-cancel-1")
    assert (canceled["orderListId"], canceled["listStatusType"], canceled["listOrderStatus"]) == (
        placed["orderListId"], "ALL_DONE", "ALL_DONE")  # fmt: skip
    assert [(r["status"], r["orderListId"]) for r in canceled["orderReports"]] == [
        ("CANCELED", placed["orderListId"])
    ] * 2
    with pytest.raises(BinanceAPIException) as closed:
        seller.v3_delete_order_list(symbol=SYMBOL, orderListId=placed["orderListId"])
    assert closed.value.code == -2011
    with pytest.raises(BinanceAPIException) as unknown:
        seller.v3_get_order_list(orderListId=999_999_999)
    assert (unknown.value.code, unknown.value.message) == (-2013, "Order list does not exist.")
    with pytest.raises(BinanceAPIException) as someone_elses:
        buyer.v3_delete_order_list(symbol=SYMBOL, orderListId=placed["orderListId"])
    assert someone_elses.value.code == -2013


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"belowStopPrice": "+200", "belowPrice": "+190"},
            -1166,
            "A limit order in a sell OCO must be above.",
        ),
        (
            {"belowTimeInForce": None},
            -1102,
            "Mandatory parameter 'belowTimeInForce' was not sent, was empty/null, or malformed.",
        ),
        (
            {"aboveType": "TAKE_PROFIT_LIMIT", "aboveTimeInForce": "GTC"},
            -1158,
            "Order type not supported in OCO.",
        ),
        (
            {"belowType": "LIMIT_MAKER", "belowStopPrice": None, "belowTimeInForce": None},
            -1168,
            "At least one OCO order must be contingent.",
        ),
        ({"belowStopPrice": None, "belowTrailingDelta": "0"}, -1013, "Filter failure: TRAILING_DELTA"),
        ({"belowStopPrice": None, "belowTrailingDelta": "2001"}, -1013, "Filter failure: TRAILING_DELTA"),
        ({"belowTrailingDelta": "100"}, -1106, "Parameter 'belowStopPrice' sent when not required."),
        ({"aboveTimeInForce": "GTC"}, -1106, "Parameter 'aboveTimeInForce' sent when not required."),
        ({"aboveIcebergQty": "0.001"}, -1106, "Parameter 'aboveIcebergQty' sent when not required."),
        (
            {"quantity": None},
            -1102,
            "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
        ),
    ],
)
def test_bad_oco_inputs_are_refused_in_binances_words(
    live: LiveServer, sam: Account, change: dict[str, Any], code: int, message: str
) -> None:
    seller = python_binance_client(live.url, sam)
    price = D(30_000)
    for name, value in change.items():
        if isinstance(value, str) and value.startswith("+"):
            change[name] = str(price + D(value[1:]))
    before = api_v1(live.url, sam, "order-lists/")["results"]
    with pytest.raises(BinanceAPIException) as refused:
        sell_oco(seller, price, **change)
    assert (refused.value.status_code, refused.value.code, refused.value.message) == (400, code, message)
    assert api_v1(live.url, sam, "order-lists/")["results"] == before


def test_a_buy_oco_with_its_limit_above_the_stop_is_refused(live: LiveServer, sam: Account) -> None:
    client = python_binance_client(live.url, sam)
    with pytest.raises(BinanceAPIException) as refused:
        client.create_oco_order(
            symbol=SYMBOL, side="BUY", quantity=QTY, aboveType="STOP_LOSS_LIMIT", aboveStopPrice="30000",
            abovePrice="30010", aboveTimeInForce="GTC", belowType="LIMIT_MAKER", belowPrice="30100",
        )  # fmt: skip
    assert (refused.value.code, refused.value.message) == (-1165, "A limit order in a buy OCO must be below.")


def test_a_trailing_stop_through_post_order(live: LiveServer, sam: Account, tia: Account) -> None:
    seller, buyer = python_binance_client(live.url, sam), python_binance_client(live.url, tia)
    price = quiet_price(seller)
    trade_at(buyer, seller, price)
    placed = seller.create_order(symbol=SYMBOL, side="SELL", type="STOP_LOSS_LIMIT", timeInForce="GTC",
                                 quantity=QTY, price=str(price - 500), trailingDelta=100)  # fmt: skip
    assert placed["orderListId"] == -1
    order = seller.get_order(symbol=SYMBOL, orderId=placed["orderId"])
    assert (order["status"], order["trailingDelta"], order["isWorking"], order["workingTime"]) == (
        "NEW", 100, False, -1)  # fmt: skip
    native = api_v1(live.url, sam, f"orders/{placed['orderId']}/")
    assert (native["trailing_delta"], D(native["trigger_price"])) == (100, price * D("0.99"))
    seller.cancel_order(symbol=SYMBOL, orderId=placed["orderId"])
    for params, code, message in [
        ({"type": "LIMIT", "price": str(price + 900)}, -1106, "Parameter 'trailingDelta' sent when not required."),
        ({"type": "STOP_LOSS_LIMIT", "price": str(price - 500), "stopPrice": str(price - 400)}, -1106,
         "Parameter 'stopPrice' sent when not required."),
    ]:  # fmt: skip
        with pytest.raises(BinanceAPIException) as refused:
            seller.create_order(symbol=SYMBOL, side="SELL", timeInForce="GTC", quantity=QTY, trailingDelta=100,
                                **params)  # fmt: skip
        assert (refused.value.code, refused.value.message) == (code, message)
    with pytest.raises(BinanceAPIException) as out_of_range:
        seller.create_order(symbol=SYMBOL, side="SELL", type="STOP_LOSS_LIMIT", timeInForce="GTC", quantity=QTY,
                            price=str(price - 500), trailingDelta=2001)  # fmt: skip
    assert (out_of_range.value.code, out_of_range.value.message) == (-1013, "Filter failure: TRAILING_DELTA")


def test_ccxt_places_and_cancels_a_list_through_its_implicit_api(
    live: LiveServer, sam: Account, tia: Account
) -> None:
    seller, buyer = python_binance_client(live.url, sam), python_binance_client(live.url, tia)
    price = quiet_price(seller)
    trade_at(buyer, seller, price)
    exchange = ccxt_binance(live.url, sam)
    placed = exchange.private_post_orderlist_oco({
        "symbol": SYMBOL, "side": "SELL", "quantity": QTY, "aboveType": "LIMIT_MAKER",
        "abovePrice": str(price + 100), "belowType": "STOP_LOSS_LIMIT", "belowTrailingDelta": 50,
        "belowPrice": str(price - 200), "belowTimeInForce": "GTC", "newOrderRespType": "FULL",
    })  # fmt: skip
    assert placed["listOrderStatus"] == "EXECUTING"
    stop = next(r for r in placed["orderReports"] if r["type"] == "STOP_LOSS_LIMIT")
    assert (stop["trailingDelta"], stop["fills"]) == (50, [])
    open_lists = exchange.private_get_openorderlist()
    assert placed["orderListId"] in [lst["orderListId"] for lst in open_lists]
    canceled = exchange.private_delete_orderlist({"symbol": SYMBOL, "orderListId": placed["orderListId"]})
    assert canceled["listOrderStatus"] == "ALL_DONE"
    # ccxt reads the legs as orders, with their list
    legs = exchange.fetch_orders("BTC/USD", params={"orderId": min(o["orderId"] for o in placed["orders"])})
    assert {o["info"]["orderListId"] for o in legs[:2]} == {placed["orderListId"]}


async def test_the_user_socket_sees_list_legs_and_list_status(
    live: LiveServer, sam: Account, tia: Account
) -> None:
    seller, buyer = python_binance_client(live.url, sam), python_binance_client(live.url, tia)
    price = quiet_price(seller)
    await asyncio.to_thread(trade_at, buyer, seller, price)
    client, manager = await python_binance_async(live.url, sam)
    user = manager.user_socket()
    try:
        await user.__aenter__()
        placed = await client.create_oco_order(
            symbol=SYMBOL, side="SELL", quantity=QTY, aboveType="LIMIT_MAKER", abovePrice=str(price + 100),
            belowType="STOP_LOSS_LIMIT", belowTrailingDelta=100, belowPrice=str(price - 500),
            belowTimeInForce="GTC", listClientOrderId="oco-ws-1",
        )  # fmt: skip
        list_id = placed["orderListId"]
        legs = sorted((o["orderId"], o["clientOrderId"]) for o in placed["orders"])
        events = await events_until(user, lambda e: e.get("e") == "listStatus")
        reports = [e for e in events if e["e"] == "executionReport"]
        assert sorted((r["i"], r["g"], r["x"]) for r in reports) == [(i, list_id, "NEW") for i, _ in legs]
        trailing = next(r for r in reports if r["o"] == "STOP_LOSS_LIMIT")
        assert trailing["d"] == 100 and trailing["w"] is False
        started = events[-1]
        assert {k: started[k] for k in ("s", "g", "c", "l", "L", "C")} == {
            "s": SYMBOL, "g": list_id, "c": "OCO", "l": "EXEC_STARTED", "L": "EXECUTING", "C": "oco-ws-1"}  # fmt: skip
        assert [(o["i"], o["c"]) for o in started["O"]] == legs

        await client.v3_delete_order_list(symbol=SYMBOL, orderListId=list_id)
        events = await events_until(user, lambda e: e.get("e") == "listStatus")
        assert sorted((e["i"], e["X"]) for e in events if e["e"] == "executionReport") == [
            (i, "CANCELED") for i, _ in legs
        ]
        assert (events[-1]["g"], events[-1]["l"], events[-1]["L"]) == (list_id, "ALL_DONE", "ALL_DONE")
    finally:
        await user.__aexit__(None, None, None)
        await client.close_connection()


async def events_until(socket: Any, last: Any) -> list[dict[str, Any]]:
    events = []
    while True:
        event = await asyncio.wait_for(socket.recv(), TIMEOUT)
        assert event.get("e") != "error", event
        events.append(event)
        if last(event):
            return events
