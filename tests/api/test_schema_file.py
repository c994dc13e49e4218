"""The committed schema (schema/openapi.yaml) is the one the code generates."""

from pathlib import Path

from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parents[2] / "schema" / "openapi.yaml"


def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    assert generated.read_text() == SCHEMA.read_text(), (
        "schema/openapi.yaml is stale: run `manage.py spectacular --file schema/openapi.yaml`"
    )
