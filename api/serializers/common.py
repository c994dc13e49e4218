from copy import copy
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import Organisation, User


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    fields = serializers.DictField(
        required=False,
        child=serializers.JSONField(),
        help_text="Validation errors only: each invalid field with its messages.",
    )


class QuerySerializer(serializers.Serializer):
    """Query parameters: DRF reads ``?x=`` as "not given"; here an empty value is a 400, as for any
    other value the schema does not allow (like ``api.filters.ApiFilterSet`` for filters)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        data = self.initial_data
        empty = [
            name for name in self.fields if "" in (data.getlist(name) if hasattr(data, "getlist") else [data.get(name)])
        ]
        if empty:
            message = _("Give a value, or leave the parameter out.")
            raise serializers.ValidationError({name: [message] for name in empty})
        return attrs


class OrganisationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name"]


def user_display(user: User | None) -> str | None:
    return str(user) if user else None


def form_validate(
    form_class: Any,
    data: dict[str, Any],
    *,
    instance: models.Model | None = None,
    **form_kwargs: Any,
) -> dict[str, Any]:
    """Run a page form over API input and return its cleaned data, or raise its messages as a
    ValidationError. For an update, ``data`` holds only the changed fields: the rest come from
    ``instance`` (edited as a copy, so a refused change leaves it untouched); for a new object,
    omitted fields take the model's defaults, as the page form's initial values do."""
    names = list(form_class.base_fields)
    if instance is not None:
        data = {**{name: getattr(instance, name) for name in names}, **data}
        form_kwargs["instance"] = copy(instance)
    elif model := getattr(getattr(form_class, "_meta", None), "model", None):
        # A page form starts from the model's defaults as initial values; an API client may omit them.
        defaults = {}
        for name in names:
            field = model._meta.get_field(name)
            if name not in data and field.has_default():
                defaults[name] = field.get_default()
        data = {**defaults, **data}
    form = form_class(data=data, **form_kwargs)
    if not form.is_valid():
        raise serializers.ValidationError(
            {
                ("non_field_errors" if name == "__all__" else name): [str(message) for message in messages]
                for name, messages in form.errors.items()
            }
        )
    return form.cleaned_data
