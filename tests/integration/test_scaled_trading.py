"""Two users trade over HTTP against the scaled stack: fills, balances, fees, positions, ledger."""

from decimal import Decimal

import pytest

from tests.integration.conftest import ScaledStack, atoms

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]

D = Decimal


def fee_account(stack: ScaledStack) -> dict[str, Decimal]:
    rows = stack.sql(
        "SELECT a.code, b.free + b.locked FROM accounts_balance b JOIN accounts_asset a ON a.id = b.asset_id "
        "JOIN accounts_user u ON u.id = b.user_id WHERE u.username = 'quantx-fees'"
    )
    return {code: atoms(total) for code, total in rows}


@pytest.mark.parametrize("server", ["gunicorn", "daphne"])
def test_two_users_trade_and_the_books_balance(stack: ScaledStack, server: str) -> None:
    buyer, seller = stack.new_traders(
        2, funds={"USD": "10000", "BTC": "1"}, prefix=f"{server}-", server=server
    )
    fees_before = fee_account(stack)

    bid = buyer.api.place("BTC-USD", "BUY", "0.1", "30000", client_order_id="bid-1")
    assert bid.status == 201, bid
    assert (bid.body["status"], bid.body["fills"]) == ("NEW", [])
    assert buyer.api.balances()["USD"] == (D("7000"), D("3000"))

    first = seller.api.place("BTC-USD", "SELL", "0.04", "29000")  # crosses: trades at the maker's price
    assert first.status == 201, first
    assert first.body["status"] == "FILLED"
    [fill] = first.body["fills"]
    assert (D(fill["price"]), D(fill["qty"]), D(fill["fee"]), fill["fee_asset"], fill["liquidity"]) == (
        D("30000"), D("0.04"), D("2.4"), "USD", "TAKER",
    )  # fmt: skip
    second = seller.api.place("BTC-USD", "SELL", "0.06", "30000")
    assert second.status == 201, second
    assert [D(f["qty"]) for f in second.body["fills"]] == [D("0.06")]

    order = buyer.api.get(f"/api/v1/orders/{bid.body['id']}/")
    assert order.status == 200, order
    assert order.body["status"] == "FILLED"
    assert (D(order.body["filled"]), D(order.body["remaining"])) == (D("0.1"), 0)
    assert buyer.api.get("/api/v1/orders/by-client-id/bid-1/").body["id"] == bid.body["id"]

    trades = buyer.api.get("/api/v1/trades/?symbol=BTC-USD")
    assert trades.status == 200, trades
    mine = sorted(
        (D(t["qty"]), D(t["fee"]), t["fee_asset"], t["liquidity"], t["side"]) for t in trades.body["results"]
    )
    assert mine == [
        (D("0.04"), D("0.00004"), "BTC", "MAKER", "BUY"),
        (D("0.06"), D("0.00006"), "BTC", "MAKER", "BUY"),
    ]
    taker_trades = seller.api.get("/api/v1/trades/?symbol=BTC-USD").body["results"]
    assert {t["trade_id"] for t in taker_trades} == {t["trade_id"] for t in trades.body["results"]}

    # maker fee 0.1% of the base bought, taker fee 0.2% of the quote received
    assert buyer.api.balances() == {"USD": (D("7000"), 0), "BTC": (D("1.0999"), 0)}
    assert seller.api.balances() == {"USD": (D("12994"), 0), "BTC": (D("0.9"), 0)}
    fees_after = fee_account(stack)
    assert fees_after.get("USD", 0) - fees_before.get("USD", 0) == D("6")
    assert fees_after.get("BTC", 0) - fees_before.get("BTC", 0) == D("0.0001")

    positions = {p["symbol"]: p for p in buyer.api.get("/api/v1/positions/").body}
    assert (D(positions["BTC-USD"]["qty"]), D(positions["BTC-USD"]["avg_price"])) == (D("0.1"), D("30000"))
    positions = {p["symbol"]: p for p in seller.api.get("/api/v1/positions/").body}
    assert (D(positions["BTC-USD"]["qty"]), D(positions["BTC-USD"]["avg_price"])) == (D("-0.1"), D("30000"))

    verification = stack.verify_ledger()
    assert verification.ok, verification.output
    assert verification.engine_hash == verification.rebuilt_hash is not None
