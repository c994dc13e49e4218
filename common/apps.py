from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"

    def ready(self) -> None:
        from .metrics import signals_connect

        signals_connect()  # Celery task metrics; each handler does nothing unless PROMETHEUS_METRICS is on
