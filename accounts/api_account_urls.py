"""Routes of the account API (balances, ledger, faucet, withdrawals), included under /api/v1/ by quantx_site/urls.py."""

from django.urls import path

from accounts import api_account, api_withdrawals

urlpatterns = [
    path("account/", api_account.AccountApi.as_view(), name="api-account"),
    path("ledger/", api_account.LedgerApi.as_view(), name="api-ledger"),
    path("faucet/", api_account.FaucetApi.as_view(), name="api-faucet"),
    path("withdrawals/", api_withdrawals.WithdrawalListApi.as_view(), name="api-withdrawals"),
    path(
        "withdrawals/<int:withdrawal_id>/",
        api_withdrawals.WithdrawalDetailApi.as_view(),
        name="api-withdrawal",
    ),
]
