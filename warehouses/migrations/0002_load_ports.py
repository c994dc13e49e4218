from django.db import migrations

from warehouses.ports import ports_load


def load(apps, schema_editor):
    ports_load(apps.get_model("warehouses", "Port"))


class Migration(migrations.Migration):
    dependencies = [("warehouses", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
