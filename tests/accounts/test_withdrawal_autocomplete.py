"""The embedded demo may complete withdrawals by itself after a delay (off by default)."""

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from accounts.models import Balance, Withdrawal
from accounts.withdrawal_autocomplete import withdrawals_auto_complete_due
from accounts.withdrawals import withdrawal_cancel, withdrawal_request
from engine.client import engine_request
from engine.worker.verify import ledger_verify
from tests.factories import fund, make_asset

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def requested(alice, engine):
    make_asset("BTC")
    fund(alice, "BTC", "1")
    return [
        withdrawal_request(user=alice, asset_code="BTC", amount=Decimal("0.25"), address="bc1q").withdrawal[
            "id"
        ]
        for _ in range(2)
    ]


@pytest.mark.django_db(transaction=True)  # the sweep closes stale connections, as a long-running task must
def test_pending_withdrawals_older_than_the_delay_are_completed(alice, requested):
    withdrawal_cancel(user=alice, withdrawal_id=requested[1])
    assert async_to_sync(withdrawals_auto_complete_due)(seconds=3600) == []
    Withdrawal.objects.update(created_at=timezone.now() - timezone.timedelta(seconds=5))
    assert async_to_sync(withdrawals_auto_complete_due)(seconds=3) == [requested[0]]
    statuses = dict(Withdrawal.objects.values_list("id", "status"))
    assert statuses == {requested[0]: "COMPLETED", requested[1]: "CANCELED"}
    assert Withdrawal.objects.get(pk=requested[0]).decided_by_id is None
    row = Balance.objects.get(user=alice)
    assert (row.free, row.locked) == (Decimal("0.75"), Decimal(0))
    assert ledger_verify().ok


def test_the_embedded_engine_starts_the_sweeper_only_when_the_setting_is_on(settings):
    async def tasks_after_a_request():
        await engine_request({"op": "state"})
        return {t.get_name() for t in asyncio.all_tasks()}

    settings.WITHDRAWAL_AUTO_COMPLETE_SECONDS = 0
    assert "quantx-withdrawals-auto-complete" not in async_to_sync(tasks_after_a_request)()
    settings.WITHDRAWAL_AUTO_COMPLETE_SECONDS = 30
    assert "quantx-withdrawals-auto-complete" in async_to_sync(tasks_after_a_request)()
