from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"

    def ready(self) -> None:
        from trading import signals  # noqa: F401  (connects the instrument cache's receivers)
