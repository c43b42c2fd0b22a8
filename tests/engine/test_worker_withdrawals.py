"""The worker's withdrawal ops: holds are persisted with the batch, recovered by a rebuild, and a
client withdrawal id is answered once, also inside one batch and before its commit."""

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync

from accounts.models import Balance, LedgerEntry, Withdrawal
from engine.client import engine_request
from engine.worker.recovery import exchange_load, state_load
from engine.worker.verify import ledger_verify
from tests.engine.helpers import engine
from tests.factories import fund, make_asset, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def alice(db):
    make_asset("BTC")
    user = make_user("alice")
    fund(user, "BTC", "1")
    return user


def request(user, cid="w-1", amount="0.4", **extra):
    return {"op": "withdrawal_request", "user_id": user.pk, "asset": "BTC", "amount": amount,
            "fee": "0", "address": "bc1qexample", "client_withdrawal_id": cid, **extra}  # fmt: skip


def together(*commands):
    """Sends the commands at once (one engine batch as a rule), then asks the state."""

    async def run():
        replies = await asyncio.gather(*(engine_request(c) for c in commands))
        return [*replies, await engine_request({"op": "state"})]

    return async_to_sync(run)()


def btc(user):
    row = Balance.objects.get(user=user, asset__code="BTC")
    return row.free, row.locked


def test_a_rebuilt_engine_has_the_same_pending_holds(alice):
    kept = engine(**request(alice, "a"))["withdrawal"]
    gone = engine(**request(alice, "b", amount="0.1"))["withdrawal"]
    done = engine(**request(alice, "c", amount="0.2", fee="0.01"))["withdrawal"]
    engine("withdrawal_cancel", user_id=alice.pk, withdrawal_id=gone["id"])
    staff = make_user("staff", is_staff=True)
    engine("withdrawal_approve", withdrawal_id=done["id"], staff_id=staff.pk)
    live = engine("state")["state_hash"]
    rebuilt = exchange_load()[0]
    assert rebuilt.state_hash() == live
    assert rebuilt.check_invariants() == []
    assert rebuilt.withdrawal_held(kept["id"]) == (alice.pk, "BTC", 40_000_000)
    assert rebuilt.withdrawal_held(gone["id"]) is None and rebuilt.withdrawal_held(done["id"]) is None
    state = state_load()
    assert list(state.withdrawals.pending) == [kept["id"]]
    assert state.withdrawals.next_id == done["id"] + 1
    assert btc(alice) == (Decimal("0.4"), Decimal("0.4"))
    report = ledger_verify(engine_hash=live)
    assert report.ok, report.lines()


def test_retries_in_one_batch_hold_once(alice):
    *replies, state = together(*[request(alice)] * 5)
    assert state["ok"]
    assert sorted(r["duplicate"] for r in replies) == [False] + [True] * 4
    assert len({r["withdrawal"]["id"] for r in replies}) == 1
    assert Withdrawal.objects.count() == 1 and btc(alice) == (Decimal("0.6"), Decimal("0.4"))


def test_a_retry_behind_the_cancel_that_closed_it_gets_it_cancelled(alice):
    wid = engine(**request(alice))["withdrawal"]["id"]
    cancel, retry, _ = together(
        {"op": "withdrawal_cancel", "user_id": alice.pk, "withdrawal_id": wid}, request(alice)
    )
    assert cancel["withdrawal"]["status"] == "CANCELED"
    assert (retry["duplicate"], retry["withdrawal"]["status"]) == (True, "CANCELED")
    again = engine(**request(alice))  # now from the database
    assert (again["duplicate"], again["withdrawal"]["id"]) == (True, wid)
    assert btc(alice) == (Decimal("1"), Decimal(0))


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"amount": "1.00000001"}, "RISK_INSUFFICIENT_FUNDS"),
        ({"amount": "0"}, "WORKER_BAD_COMMAND"),
        ({"amount": "NaN"}, "WORKER_BAD_COMMAND"),
        ({"amount": 1}, "WORKER_BAD_COMMAND"),
        ({"amount": "0.000000001"}, "WORKER_BAD_COMMAND"),
        ({"fee": "0.4"}, "FILTER_WITHDRAWAL_FEE"),
        ({"fee": "-1"}, "WORKER_BAD_COMMAND"),
        ({"asset": "DOGE"}, "WORKER_UNKNOWN_ASSET"),
        ({"address": " "}, "WORKER_BAD_COMMAND"),
        ({"client_withdrawal_id": ""}, "WORKER_BAD_COMMAND"),
        ({"user_id": 10**9}, "WORKER_UNKNOWN_USER"),
    ],
)
def test_a_refused_request_moves_nothing(alice, extra, reason):
    reply = engine(**request(alice, **extra))
    assert (reply["ok"], reply["reason"]) == (False, reason)
    assert not Withdrawal.objects.exists()
    assert not LedgerEntry.objects.filter(reason="WITHDRAWAL_HOLD").exists()
    assert btc(alice) == (Decimal("1"), Decimal(0))


def test_decisions_need_a_pending_withdrawal_and_a_reject_needs_a_reason(alice):
    staff = make_user("staff", is_staff=True)
    wid = engine(**request(alice))["withdrawal"]["id"]
    assert (
        engine("withdrawal_reject", withdrawal_id=wid, staff_id=staff.pk, reason=" ")["reason"]
        == "WORKER_BAD_COMMAND"
    )
    assert (
        engine("withdrawal_cancel", user_id=alice.pk + 1, withdrawal_id=wid)["reason"]
        == "WORKER_UNKNOWN_WITHDRAWAL"
    )
    assert engine("withdrawal_reject", withdrawal_id=wid, staff_id=staff.pk, reason="no")["ok"]
    for op in ("withdrawal_approve", "withdrawal_reject"):
        refused = engine(op, withdrawal_id=wid, staff_id=staff.pk, reason="again")
        assert refused["reason"] == "WORKER_UNKNOWN_WITHDRAWAL"
    assert Withdrawal.objects.get(pk=wid).status == "REJECTED"
    assert btc(alice) == (Decimal("1"), Decimal(0))
