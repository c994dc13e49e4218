"""Run Django with the production settings in a subprocess, with a dummy environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DUMMY_ENV = {
    "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
    "DJANGO_SECRET_KEY": "dummy-" + "Zq8vT3kLw9Xr2Mn5Bp7Yc4Hd6Jf1Gs0A" * 2,
    "DATABASE_URL": "postgres://wareshare:dummy@db.invalid:5432/wareshare",
    "DJANGO_ALLOWED_HOSTS": "wareshare.example.com",
    "EMAIL_URL": "consolemail://",
}
# Variables that would leak from the developer's shell or CI into the child's settings.
_OURS = (
    "DJANGO_",
    "DATABASE_URL",
    "EMAIL_URL",
    "STRIPE_",
    "REDIS_URL",
    "CELERY_",
    "AWS_",
    "MEDIA_ROOT",
    "GUNICORN_",
    "SENTRY_",
    "PROMETHEUS_",
)


def run(args: list[str], **env: str | None) -> subprocess.CompletedProcess[str]:
    """``python <args>`` in the repository with DUMMY_ENV updated by ``env`` (None removes a name)."""
    child = {name: value for name, value in os.environ.items() if not name.startswith(_OURS)}
    child.update(DUMMY_ENV)
    for name, value in env.items():
        if value is None:
            child.pop(name, None)
        else:
            child[name] = value
    return subprocess.run(  # nosec B603
        [sys.executable, *args], cwd=ROOT, env=child, capture_output=True, text=True, timeout=120, check=False
    )


def settings_values(names: list[str], **env: str | None) -> dict:
    """The named production settings, read in a child process, as JSON-able values."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}, default=str))"
    )
    result = run(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
