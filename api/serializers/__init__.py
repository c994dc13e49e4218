"""Request and response shapes of the API. Rules live in the services and the page forms, which
the write serializers call (``form_validate``), so the API and the pages cannot disagree."""
