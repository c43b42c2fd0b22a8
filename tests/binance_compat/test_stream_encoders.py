"""The re-encoding of /ws/v1/ frames as Binance events (pure: no server, no database)."""

import itertools
from decimal import Decimal

from binance_compat.stream_encoders import DiffDepth, ListState, PartialDepth, UserData


def depth_update(seq: int, prev_seq: int, bids=(), asks=()) -> dict:
    return {"event": "update", "channel": "depth:BTC-USD", "seq": seq, "prev_seq": prev_seq,
            "data": {"bids": [list(b) for b in bids], "asks": [list(a) for a in asks], "checksum": 0, "time": 5}}  # fmt: skip


def test_a_depth_diff_carries_the_sequence_range_it_covers() -> None:
    [event] = DiffDepth("BTCUSD").encode(depth_update(17, 12, bids=[("100.5", "0.25")], asks=[("101", "0")]))
    assert event == {"e": "depthUpdate", "E": 5, "s": "BTCUSD", "U": 13, "u": 17,
                     "b": [["100.50000000", "0.25000000"]], "a": [["101.00000000", "0.00000000"]]}  # fmt: skip


def test_consecutive_diffs_chain_as_binance_clients_check() -> None:
    encoder = DiffDepth("BTCUSD")
    events = [encoder.encode(depth_update(seq, prev))[0] for prev, seq in [(3, 5), (5, 6), (6, 9)]]
    assert all(b["U"] == a["u"] + 1 for a, b in itertools.pairwise(events))


def test_a_partial_book_follows_its_snapshot_and_ignores_what_it_already_has() -> None:
    encoder = PartialDepth(2)
    snapshot = {"event": "snapshot", "channel": "depth:BTC-USD", "seq": 10,
                "data": {"bids": [["99", "1"], ["98", "2"], ["97", "3"]], "asks": [["101", "1"]]}}  # fmt: skip
    [first] = encoder.encode(snapshot)
    assert first["lastUpdateId"] == 10 and [b[0] for b in first["bids"]] == ["99.00000000", "98.00000000"]
    assert encoder.encode(depth_update(10, 8, bids=[("99", "0")])) == []  # already in the snapshot
    [event] = encoder.encode(depth_update(12, 10, bids=[("99", "0"), ("98.5", "4")]))
    assert event["lastUpdateId"] == 12
    assert event["bids"] == [["98.50000000", "4.00000000"], ["98.00000000", "2.00000000"]]


def report(**overrides) -> dict:
    data = {"order_id": 7, "client_order_id": "c7", "symbol": "BTC-USD", "side": "BUY", "type": "LIMIT",
            "tif": "GTC", "price": "100", "stop_price": None, "qty": "3", "quote_qty": None, "status": "FILLED",
            "filled": "3", "remaining": "0", "reason": "", "time": 9, "fills": [
                {"trade_id": 1, "price": "99", "qty": "1", "quote_qty": "99", "fee": "0.001", "fee_asset": "BTC",
                 "liquidity": "TAKER", "time": 9},
                {"trade_id": 2, "price": "100", "qty": "2", "quote_qty": "200", "fee": "0.002", "fee_asset": "BTC",
                 "liquidity": "TAKER", "time": 9}]}  # fmt: skip
    data.update(overrides)
    return {"event": "update", "channel": "orders", "seq": 3, "prev_seq": 2, "data": data}


def test_an_order_that_swept_two_levels_gives_one_execution_report_per_fill() -> None:
    encoder = UserData({})
    encoder.begin()
    first, second = encoder.encode(report())
    assert (first["x"], first["X"], first["l"], first["z"], first["Z"], first["t"]) == (
        "TRADE", "PARTIALLY_FILLED", "1.00000000", "1.00000000", "99.00000000", 1)  # fmt: skip
    assert (second["X"], second["z"], second["Z"], second["L"], second["n"]) == (
        "FILLED", "3.00000000", "299.00000000", "100.00000000", "0.00200000")  # fmt: skip


def test_cumulative_quote_continues_from_the_open_order_seed() -> None:
    encoder = UserData({7: Decimal("50")})
    fill = report(status="PARTIALLY_FILLED", filled="1.5", remaining="1.5")["data"]["fills"][:1]
    [event] = encoder.encode(report(status="PARTIALLY_FILLED", filled="1.5", remaining="1.5", fills=fill))
    assert event["Z"] == "149.00000000" and event["z"] == "1.50000000"


def balances(*rows: tuple[str, str, str], snapshot: bool = False) -> dict:
    data = [{"asset": a, "free": f, "locked": lk} for a, f, lk in rows]
    return {"event": "snapshot" if snapshot else "update", "channel": "balances", "seq": 1, "data": data}


def test_a_balance_change_without_an_order_is_a_balance_update_with_its_delta() -> None:
    encoder = UserData({})
    encoder.encode(balances(("USD", "100", "5"), snapshot=True))
    encoder.begin()
    update, position = encoder.encode(balances(("USD", "80", "5")))
    assert (update["e"], update["a"], update["d"]) == ("balanceUpdate", "USD", "-20.00000000")
    assert position["e"] == "outboundAccountPosition" and position["B"] == [
        {"a": "USD", "f": "80.00000000", "l": "5.00000000"}]  # fmt: skip


def test_a_balance_change_caused_by_an_order_is_only_an_account_position() -> None:
    encoder = UserData({})
    encoder.encode(balances(("USD", "100", "0"), snapshot=True))
    encoder.begin()
    events = encoder.encode(report(status="NEW", filled="0", remaining="3", fills=[])) + encoder.encode(
        balances(("USD", "70", "30"))
    )
    assert [e["e"] for e in events] == ["executionReport", "outboundAccountPosition"]
    assert events[0]["x"] == "NEW"


def leg(order_id: int, status: str, list_status: str, **overrides) -> dict:
    fields = {"order_id": order_id, "client_order_id": f"leg{order_id}", "type": "LIMIT_MAKER", "side": "SELL",
              "status": status, "filled": "0", "fills": [], "order_list_id": 4, "order_list_status": list_status,
              "order_list_client_id": "my-list", "trailing_delta": None, "triggered": False}  # fmt: skip
    return report(**{**fields, **overrides})


def test_a_plain_order_has_no_list_and_sends_no_list_status() -> None:
    encoder = UserData({})
    encoder.begin()
    [execution] = encoder.encode(report(fills=[], status="NEW", filled="0"))
    assert execution["g"] == -1 and "d" not in execution and encoder.finish() == []


def test_a_placed_list_gives_its_legs_reports_then_one_list_status() -> None:
    encoder = UserData({})
    encoder.begin()
    [limit] = encoder.encode(leg(11, "NEW", "EXECUTING"))
    [stop] = encoder.encode(
        leg(12, "NEW", "EXECUTING", type="STOP_LOSS_LIMIT", stop_price=None, trailing_delta=30)
    )
    assert (limit["g"], limit["w"], "d" in limit) == (4, True, False)
    assert (stop["g"], stop["w"], stop["d"]) == (4, False, 30)
    assert encoder.finish() == [{
        "e": "listStatus", "E": 9, "s": "BTCUSD", "g": 4, "c": "OCO", "l": "EXEC_STARTED", "L": "EXECUTING",
        "r": "NONE", "C": "my-list", "T": 9,
        "O": [{"s": "BTCUSD", "i": 11, "c": "leg11"}, {"s": "BTCUSD", "i": 12, "c": "leg12"}],
    }]  # fmt: skip
    encoder.begin()
    encoder.encode(leg(11, "NEW", "EXECUTING", qty="2"))  # an amend: the list's status did not change
    assert encoder.finish() == []


def test_a_list_that_ends_sends_all_done_once_and_is_forgotten() -> None:
    seeded = ListState("BTCUSD", "my-list", {11: "leg11", 12: "leg12"}, status="EXECUTING")
    encoder = UserData({}, {4: seeded})
    encoder.begin()
    encoder.encode(leg(12, "EXPIRED", "ALL_DONE", type="STOP_LOSS_LIMIT"))  # only one leg in this batch
    [done] = encoder.finish()
    assert (done["l"], done["L"], [o["i"] for o in done["O"]]) == ("ALL_DONE", "ALL_DONE", [11, 12])
    assert encoder.lists == {}


def test_a_rejected_list_is_all_done_with_reject() -> None:
    encoder = UserData({})
    encoder.begin()
    encoder.encode(leg(11, "REJECTED", "REJECTED"))
    encoder.encode(leg(12, "REJECTED", "REJECTED", type="STOP_LOSS_LIMIT"))
    [rejected] = encoder.finish()
    assert (rejected["l"], rejected["L"]) == ("ALL_DONE", "REJECT")
