"""Load the shipped ports list (warehouses/data/ports.csv; see docs/data-sources.md)."""

import csv
from pathlib import Path
from typing import Any

PORTS_CSV = Path(__file__).resolve().parent / "data" / "ports.csv"


def ports_load(port_model: Any = None) -> int:
    """Insert or update every port in the CSV, matched on UN/LOCODE. Idempotent.

    ``port_model`` lets the data migration pass its historical model.
    """
    if port_model is None:
        from .models import Port as port_model
    with PORTS_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ports = [
        port_model(
            locode=row["locode"],
            name=row["name"],
            country=row["country"],
            kind=row["kind"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
        )
        for row in rows
    ]
    port_model.objects.bulk_create(
        ports,
        update_conflicts=True,
        unique_fields=["locode"],
        update_fields=["name", "country", "kind", "latitude", "longitude"],
        batch_size=500,
    )
    return len(ports)
