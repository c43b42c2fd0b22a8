from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import auth_cache  # noqa: F401  (connects the cache's eviction receivers)
