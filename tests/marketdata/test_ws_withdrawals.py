"""The private `withdrawals` stream tells every status change of my withdrawals, and `balances`
shows their holds and releases."""

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken

from tests.marketdata.helpers import amarket, engine_request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


async def next_of_each(client, *channels):
    """The next update on each channel (frames of one batch come in any order between channels)."""
    found: dict[str, dict] = {}
    while len(found) < len(channels):
        frame = await client.recv_until(lambda f: f["event"] == "update" and f.get("channel") in channels)
        found.setdefault(frame["channel"], frame)
    return [found[c] for c in channels]


async def arequest(user, amount, cid):
    reply = await engine_request({"op": "withdrawal_request", "user_id": user.pk, "asset": "BTC", "amount": amount,
                                  "fee": "0.001", "address": "bc1qexample", "client_withdrawal_id": cid})  # fmt: skip
    assert reply["ok"], reply
    return reply["withdrawal"]


async def test_my_withdrawals_stream_tells_each_status_change_and_balances_follow(ws):
    _, alice, bob = await amarket()
    client = await ws(f"/ws/v1/?token={AccessToken.for_user(alice)}")
    snaps = await client.subscribe("withdrawals", "balances")
    assert snaps["withdrawals"] == {"event": "snapshot", "channel": "withdrawals", "seq": 0, "data": []}

    await arequest(bob, "1", "bobs")  # not mine
    mine = await arequest(alice, "0.5", "w-1")
    update, held = await next_of_each(client, "withdrawals", "balances")
    assert (update["seq"], update["prev_seq"]) == (1, 0)
    data = update["data"]
    assert (data["withdrawal_id"], data["status"], data["amount"], data["fee"], data["asset"]) == (
        mine["id"], "PENDING", "0.5", "0.001", "BTC",
    )  # fmt: skip
    assert held["data"] == [{"asset": "BTC", "free": "9.5", "locked": "0.5"}]

    staff = await database_sync_to_async(_staff)()
    await engine_request({"op": "withdrawal_approve", "withdrawal_id": mine["id"], "staff_id": staff.pk})
    done, left = await next_of_each(client, "withdrawals", "balances")
    assert (done["seq"], done["prev_seq"], done["data"]["status"]) == (2, 1, "COMPLETED")
    assert left["data"] == [{"asset": "BTC", "free": "9.5", "locked": "0"}]

    other = await arequest(alice, "1", "w-2")
    await engine_request({"op": "withdrawal_cancel", "user_id": alice.pk, "withdrawal_id": other["id"]})
    statuses = [
        (f["seq"], f["data"]["status"])
        for f in [await client.recv_until(lambda f: f.get("channel") == "withdrawals") for _ in range(2)]
    ]
    assert statuses == [(3, "PENDING"), (4, "CANCELED")]

    again = await ws(f"/ws/v1/?token={AccessToken.for_user(alice)}")
    snap = (await again.subscribe("withdrawals"))["withdrawals"]
    assert (snap["seq"], snap["data"]) == (4, [])  # the seq a restarted worker would continue from


async def test_the_snapshot_lists_my_pending_withdrawals(ws):
    _, alice, _ = await amarket()
    pending = await arequest(alice, "0.25", "w-1")
    client = await ws(f"/ws/v1/?token={AccessToken.for_user(alice)}")
    snap = (await client.subscribe("withdrawals"))["withdrawals"]
    assert snap["seq"] == 1
    [row] = snap["data"]
    assert (row["withdrawal_id"], row["status"], row["amount"]) == (pending["id"], "PENDING", "0.25")


async def test_the_withdrawals_channel_needs_authentication(ws):
    await amarket()
    client = await ws()
    reply = await client.request({"op": "subscribe", "channels": ["withdrawals"], "id": 1})
    assert (reply["event"], reply["code"]) == ("error", -1002)


def _staff():
    from tests.factories import make_user

    return make_user("staff", is_staff=True)
