"""The exporter's products: list, create, edit, delete, CSV import and export."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError, error_html

from .. import selectors, services
from ..exceptions import InvalidImport, InvalidProduct
from ..forms import ProductForm, ProductImportForm
from .common import page_of

FIELDS = ProductForm.Meta.fields


def _refused(form: ProductForm, error: ApplicationError) -> None:
    """The service's refusal as form errors: beside each field it names, else above the form."""
    fields = error.errors if isinstance(error, InvalidProduct) else {}
    for name, message in fields.items():
        form.add_error(name if name in form.fields else None, message)
    if not fields:
        form.add_error(None, error_html(error))


@organisation_required(exporter=True)
def product_list(request: OrganisationRequest) -> HttpResponse:
    products = selectors.products_of(request.organisation).order_by("sku", "pk")
    return render(request, "inventory/product_list.html", {"products": page_of(request, products)})


@organisation_required(exporter=True)
def product_create(request: OrganisationRequest) -> HttpResponse:
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(organisation=request.organisation, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Product %(sku)s added.") % {"sku": product.sku})
            return redirect("inventory:product_list")
    return render(request, "inventory/product_form.html", {"form": form, "product": None})


@organisation_required(exporter=True)
def product_update(request: OrganisationRequest, pk: int) -> HttpResponse:
    product = selectors.product_visible(request.organisation, pk)
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in FIELDS}
        product.refresh_from_db()  # the form wrote its values on the instance; the service compares
        try:
            product = services.product_update(product=product, by=request.user, **fields)
        except ApplicationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Product %(sku)s saved.") % {"sku": product.sku})
            return redirect("inventory:product_list")
    return render(request, "inventory/product_form.html", {"form": form, "product": product})


@organisation_required(exporter=True)
def product_delete(request: OrganisationRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST deletes (refused once the product has stock movements)."""
    product = selectors.product_visible(request.organisation, pk)
    if request.method == "POST":
        try:
            services.product_delete(product=product, by=request.user)
        except ApplicationError as error:
            messages.error(request, error_html(error))
        else:
            messages.success(request, _("Product %(sku)s deleted.") % {"sku": product.sku})
        return redirect("inventory:product_list")
    return render(request, "inventory/product_delete.html", {"product": product})


@organisation_required(exporter=True)
def product_import(request: OrganisationRequest) -> HttpResponse:
    """Upload a CSV: all rows are written, or none and each bad row is listed."""
    form = ProductImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.products_import(
                organisation=request.organisation, by=request.user, data=form.cleaned_data["file"]
            )
        except InvalidImport as error:
            errors = list(error.errors)
            form.add_error(None, error.detail)
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(
                request,
                _("Imported: %(created)s new products, %(updated)s updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("inventory:product_list")
    context = {"form": form, "errors": errors, "columns": services.PRODUCT_COLUMNS}
    return render(request, "inventory/product_import.html", context)


@organisation_required(exporter=True)
def product_export(request: OrganisationRequest) -> HttpResponse:
    response = HttpResponse(services.products_export(organisation=request.organisation), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="products.csv"'
    return response
