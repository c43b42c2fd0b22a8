from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views, views_withdrawals

urlpatterns = [
    path("login/", views.ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("", views.balances, name="account"),
    path("faucet/", views.faucet, name="faucet"),
    path("withdrawals/", views_withdrawals.withdrawal_create, name="withdrawal-create"),
    path(
        "withdrawals/<int:withdrawal_id>/cancel/",
        views_withdrawals.withdrawal_cancel_view,
        name="withdrawal-cancel",
    ),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger.csv", views.ledger_csv, name="ledger-csv"),
    path("api-keys/", views.api_keys, name="account-api-keys"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke_view, name="account-api-key-revoke"),
]
