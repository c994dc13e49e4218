"""Security settings that must hold in production (the `make security` target runs bandit,
pip-audit and the secret scan; these check what only Django knows)."""

from .prod import settings_values


def test_password_validators_and_allauth_rate_limits_are_on_in_production():
    values = settings_values(["AUTH_PASSWORD_VALIDATORS", "ACCOUNT_RATE_LIMITS", "ACCOUNT_EMAIL_VERIFICATION"])

    validators = {entry["NAME"].rsplit(".", 1)[-1] for entry in values["AUTH_PASSWORD_VALIDATORS"]}
    assert {"MinimumLengthValidator", "CommonPasswordValidator", "NumericPasswordValidator"} <= validators
    limits = values["ACCOUNT_RATE_LIMITS"]
    assert limits, "allauth rate limits are switched off"
    for action in ("login", "login_failed", "signup", "reset_password"):
        assert limits.get(action), f"no rate limit on {action}"
    assert values["ACCOUNT_EMAIL_VERIFICATION"] == "mandatory"


def test_uploads_are_bounded_and_validated():
    values = settings_values(["FILE_UPLOAD_MAX_MEMORY_SIZE", "DATA_UPLOAD_MAX_MEMORY_SIZE"])
    assert 0 < values["FILE_UPLOAD_MAX_MEMORY_SIZE"] <= 10 * 1024 * 1024
    assert 0 < values["DATA_UPLOAD_MAX_MEMORY_SIZE"] <= 10 * 1024 * 1024


def test_every_uploaded_file_field_checks_its_type_and_more():
    """Each file field limits the extension and runs at least one more check (size, content)."""
    from django.apps import apps
    from django.core.validators import FileExtensionValidator
    from django.db import models

    file_fields = [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField) and model._meta.app_label not in ("mfa",)
    ]
    assert file_fields
    for field in file_fields:
        kinds = [isinstance(validator, FileExtensionValidator) for validator in field.validators]
        assert True in kinds, f"{field} needs a FileExtensionValidator"
        assert False in kinds, f"{field} needs a size or content validator besides the extension"
