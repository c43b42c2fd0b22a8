"""Routes of the accounts API, included under /api/v1/ by quantx_site/urls.py."""

from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/register/", api.RegisterApi.as_view(), name="api-register"),
    path("auth/token/", api.TokenObtainApi.as_view(), name="api-token"),
    path("auth/token/refresh/", api.TokenRefreshApi.as_view(), name="api-token-refresh"),
    path("auth/me/", api.MeApi.as_view(), name="api-me"),
    path("api-keys/", api.ApiKeyListCreateApi.as_view(), name="api-keys"),
    path("api-keys/<int:key_id>/", api.ApiKeyRevokeApi.as_view(), name="api-key-revoke"),
]
