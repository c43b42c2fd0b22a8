"""A staff force-cancel reaches the order's owner as an execution report with reason STAFF_CANCELED
(the command trading.staff.order_force_cancel sends; tests/accounts/test_staff_audit.py drives it
through admin)."""

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import make_user
from tests.marketdata.helpers import acancel, amarket, aplace, engine_request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def is_report(f):
    return f["event"] == "update" and f["channel"] == "orders"


async def test_the_execution_report_of_a_staff_cancel_says_staff_canceled(ws):
    _, alice, _ = await amarket()
    staff = await database_sync_to_async(make_user)("sam", is_staff=True)
    client = await ws(f"/ws/v1/?token={AccessToken.for_user(alice)}")
    await client.subscribe("orders")
    placed = await aplace(alice, "BUY", "100", "1")
    assert (await client.recv_until(is_report))["data"]["status"] == "NEW"
    reply = await engine_request({"op": "cancel", "order_id": placed["order"]["id"], "staff_id": staff.pk})
    assert reply["ok"] and reply["order"]["reason"] == "STAFF_CANCELED"
    report = await client.recv_until(is_report)
    assert (report["data"]["status"], report["data"]["reason"]) == ("CANCELED", "STAFF_CANCELED")


async def test_my_own_cancel_report_has_no_reason(ws):
    _, alice, _ = await amarket()
    client = await ws(f"/ws/v1/?token={AccessToken.for_user(alice)}")
    await client.subscribe("orders")
    placed = await aplace(alice, "BUY", "100", "1")
    await acancel(alice, placed["order"]["id"])
    report = await client.recv_until(lambda f: is_report(f) and f["data"]["status"] == "CANCELED")
    assert report["data"]["reason"] == ""
