"""Products and their CSV: clean values, SKUs unique per organisation, all-or-nothing imports."""

from decimal import Decimal

import pytest

from inventory import services
from inventory.exceptions import InvalidImport, InvalidProduct, RowError
from inventory.models import Product
from leasing.exceptions import NotAllowed
from tests.accounts.factories import ExporterOrganisationFactory, member_of

from .factories import lease_with_goods

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    organisation = ExporterOrganisationFactory()
    organisation.user = member_of(organisation)
    return organisation


def test_a_product_is_created_with_clean_values(org):
    product = services.product_create(
        organisation=org,
        by=org.user,
        sku=" MUG-01 ",
        description="Blue ceramic mug",
        units_per_carton="24",
        weight_kg="0.350",
        hs_code="6912.00",
        origin_country="cn",
        unit_value="2.50",
        currency="eur",
    )
    assert (product.sku, product.hs_code, product.origin_country.code, product.currency) == (
        "MUG-01",
        "691200",
        "CN",
        "EUR",
    )
    assert (product.units_per_carton, product.weight_kg, product.unit_value) == (24, Decimal("0.350"), Decimal("2.50"))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"description": " "}, "description", "description"),
        ({"hs_code": "12345"}, "hs_code", "6 to 10 digits"),
        ({"hs_code": "12345678901"}, "hs_code", "6 to 10 digits"),
        ({"origin_country": "Narnia"}, "origin_country", "not a country"),
        ({"unit_value": "3"}, "currency", "currency"),
        ({"unit_value": "3", "currency": "XYZ"}, "currency", "not a currency"),
        ({"units_per_pallet": "0"}, "units_per_pallet", "1 or more"),
        ({"weight_kg": "-1"}, "weight_kg", "0 or more"),
        ({"colour": "blue"}, "colour", "Unknown field"),
    ],
)
def test_bad_fields_are_refused(org, fields, field, message):
    data = {"description": "Mug", **fields}
    with pytest.raises(InvalidProduct, match=message) as caught:
        services.product_create(organisation=org, by=org.user, sku="MUG", **data)
    assert field in caught.value.detail
    assert not Product.objects.exists()


def test_skus_are_unique_per_organisation_whatever_the_case(org):
    services.product_create(organisation=org, by=org.user, sku="MUG-01", description="Mug")
    with pytest.raises(InvalidProduct, match="already has a product with SKU mug-01"):
        services.product_create(organisation=org, by=org.user, sku="mug-01", description="Mug")
    other = ExporterOrganisationFactory()
    services.product_create(organisation=other, by=member_of(other), sku="MUG-01", description="Mug")
    with pytest.raises(NotAllowed):
        services.product_create(organisation=org, by=member_of(other), sku="X", description="X")


def test_update_and_delete(org, p):
    product = services.product_create(organisation=org, by=org.user, sku="A", description="A")
    services.product_update(product=product, by=org.user, description="Apples", hs_code="080810")
    product.refresh_from_db()
    assert (product.description, product.hs_code) == ("Apples", "080810")
    services.product_delete(product=product, by=org.user)
    assert not Product.objects.filter(pk=product.pk).exists()
    lease = lease_with_goods(p)
    used = Product.objects.get(organisation=lease.exporter, sku="CH-1")
    with pytest.raises(InvalidProduct, match="cannot be deleted"):
        services.product_delete(product=used, by=p.exporter)


def test_free_text_lines_become_deterministic_skus(org):
    first = services.product_for_line(organisation=org, sku="", description="Blue  ceramic MUGS")
    again = services.product_for_line(organisation=org, sku="", description="blue ceramic mugs")
    assert first == again
    assert first.sku.startswith("BLUE-CERAMIC-MUGS-")
    assert len(first.sku) == len("BLUE-CERAMIC-MUGS-") + 6
    assert services.product_for_line(organisation=org, sku="", description="陶瓷杯").sku.startswith("ITEM-")
    named = services.product_for_line(organisation=org, sku="mug-9", description="Mug")
    assert services.product_for_line(organisation=org, sku="MUG-9", description="Other") == named


CSV = "sku,description,units_per_carton,hs_code,origin_country,unit_value,currency\n"


def test_import_creates_and_updates_and_export_round_trips(org):
    services.product_create(organisation=org, by=org.user, sku="MUG-01", description="Old")
    result = services.products_import(
        organisation=org,
        by=org.user,
        data="\ufeff" + CSV + "mug-01,Blue mug,24,691200,CN,2.50,EUR\nPLATE-1,Plate,,,DE,,\n\n",
    )
    assert (result.created, result.updated) == (1, 1)
    mug = Product.objects.get(organisation=org, sku__iexact="mug-01")
    assert (mug.description, mug.units_per_carton, mug.unit_value) == ("Blue mug", 24, Decimal("2.50"))
    exported = services.products_export(organisation=org)
    assert exported.splitlines()[0] == ",".join(services.PRODUCT_COLUMNS)
    again = services.products_import(organisation=org, by=org.user, data=exported)
    assert (again.created, again.updated) == (0, 2)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (CSV + "A,Apple,1,080810,CN,1,EUR\na,Apple again,1,080810,CN,1,EUR\n", [RowError(2, "sku", "")]),
        (CSV + "A,Apple,1,080810,Narnia,1,EUR\n", [RowError(1, "origin_country", "")]),
        (CSV + "A,Apple,-4,080810,CN,-1,EUR\n", [RowError(1, "units_per_carton", ""), RowError(1, "unit_value", "")]),
        (CSV + "A,,1,080810,CN,1,EUR\n", [RowError(1, "description", "")]),
        ("sku,description,colour\nA,Apple,red\n", [RowError(0, "colour", "")]),
        ("description\nApple\n", [RowError(0, "sku", "")]),
        (CSV + "A,Apple,1\n", [RowError(1, "", "")]),  # a short row: malformed
        ("", [RowError(0, "", "")]),
        ('sku,description\n"A,Apple\n', [RowError(0, "", "")]),  # an unclosed quote
    ],
)
def test_a_bad_row_refuses_the_whole_file(org, data, errors):
    with pytest.raises(InvalidImport) as caught:
        services.products_import(
            organisation=org,
            by=org.user,
            data=CSV + "GOOD,Good row,1,080810,CN,1,EUR\n" + data.removeprefix(CSV) if data.startswith(CSV) else data,
        )
    assert [(e.row, e.field) for e in caught.value.errors] == [(e.row + (1 if e.row else 0), e.field) for e in errors]
    assert all(e.message for e in caught.value.errors)
    assert not Product.objects.filter(organisation=org).exists()
