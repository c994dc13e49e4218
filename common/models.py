from django.db import models


class SweepRun(models.Model):
    """When each sweep last finished without an error, written by ``common.sweeps.sweep_record``
    (one upsert per run); the metrics page reports the time since (docs/deploy.md "Telemetry")."""

    path = models.CharField(max_length=200, unique=True)
    finished_at = models.DateTimeField()
    handled = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.path} {self.finished_at:%Y-%m-%d %H:%M:%S}"
