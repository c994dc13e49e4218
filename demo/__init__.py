"""The demo data: ``manage.py seed_demo`` composes every app's ``demo.py``. A project-level app, not
a layer: like ``marketplace`` it may import any app, and no app imports it."""
