"""Routes of the account API (balances, ledger, faucet), included under /api/v1/ by quantx_site/urls.py."""

from django.urls import path

from accounts import api_account

urlpatterns = [
    path("account/", api_account.AccountApi.as_view(), name="api-account"),
    path("ledger/", api_account.LedgerApi.as_view(), name="api-ledger"),
    path("faucet/", api_account.FaucetApi.as_view(), name="api-faucet"),
]
