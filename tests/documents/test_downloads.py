"""Downloading documents: the lease page (exporter: receipts; owner: fee invoices), the payout page
(owner: statements), the documents page and the API. Another organisation's document is a 404."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents.choices import DocumentKind
from documents.models import Document
from leasing.choices import LeaseState as S
from tests.accounts.factories import OrganisationFactory, member_of
from tests.api.conftest import client_with, key_for
from tests.helpers import login
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

from .helpers import legal, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def p() -> Parties:
    parties = Parties(capacity=100)
    legal(parties.owner_org, vat="NL123456789B01")
    legal(parties.exporter_org, vat="91310000MA1K0000X")
    return parties


def walked(p: Parties, n: int, *, first: int = 3) -> None:
    for i in range(n):
        p.lease_in(S.ACTIVE, start=days_from_now(first + i), end=days_from_now(first + 5 + i), quantity=1)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response
    return response.content.decode()


def test_the_lease_page_links_each_side_to_its_own_documents(client, p):
    walked(p, 1)
    receipt = Document.objects.get(kind=DocumentKind.RECEIPT)
    invoice = Document.objects.get(kind=DocumentKind.FEE_INVOICE)
    lease_url = reverse("leasing:lease_detail", args=[receipt.lease_id])
    receipt_url = reverse("documents:document_download", args=[receipt.pk])
    invoice_url = reverse("documents:document_download", args=[invoice.pk])

    login(client, p.exporter)
    html = page(client, lease_url)
    assert receipt_url in html
    assert receipt.number in html
    assert invoice_url not in html
    response = client.get(receipt_url)
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="wareshare-{receipt.number}.pdf"' in response["Content-Disposition"]
    assert receipt.number in pdf_text(response.content)
    assert client.get(invoice_url).status_code == 404  # the owner's invoice

    login(client, p.owner)
    html = page(client, lease_url)
    assert invoice_url in html
    assert receipt_url not in html
    assert invoice.number in pdf_text(client.get(invoice_url).content)
    assert client.get(receipt_url).status_code == 404
    assert reverse("documents:document_list") + "?kind=statement" in page(client, reverse("escrow:payout_account"))


def test_another_organisation_gets_404_on_the_web_and_the_api(client, p):
    walked(p, 1)
    other = OrganisationFactory(is_owner=True, is_exporter=True)
    stranger = member_of(other)
    login(client, stranger)
    api = client_with(key_for(other))
    assert "RC-" not in page(client, reverse("documents:document_list"))
    assert api.get("/api/v1/documents/").json()["results"] == []
    for document in Document.objects.all():
        assert client.get(reverse("documents:document_download", args=[document.pk])).status_code == 404
        for path in (f"/api/v1/documents/{document.pk}/", f"/api/v1/documents/{document.pk}/pdf/"):
            response = api.get(path)
            assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    assert client_with().get("/api/v1/documents/").status_code == 401


def test_the_api_lists_and_downloads_the_callers_documents(p):
    walked(p, 1)
    exporter = client_with(key_for(p.exporter_org, user=p.exporter))
    rows = exporter.get("/api/v1/documents/").json()["results"]
    receipt = Document.objects.get(kind=DocumentKind.RECEIPT)
    assert [(row["number"], row["kind"], row["amount"], row["lease"]) for row in rows] == [
        (receipt.number, "receipt", str(receipt.amount), receipt.lease_id)
    ]
    response = exporter.get(rows[0]["pdf"])
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    text = pdf_text(response.content)
    assert receipt.number in text
    assert p.exporter_org.legal_name in text
    owner = client_with(key_for(p.owner_org, user=p.owner))
    assert [row["kind"] for row in owner.get("/api/v1/documents/", {"kind": "fee_invoice"}).json()["results"]] == [
        "fee_invoice"
    ]
    assert owner.get("/api/v1/documents/", {"kind": "receipt"}).json()["results"] == []
    assert owner.get("/api/v1/documents/", {"kind": "nonsense"}).status_code == 400


def _count(client, path: str) -> tuple[int, int]:
    client.get(path)  # warm up: the API key's last_used_at is written once a minute at most
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    rows = response.json()["results"] if path.startswith("/api/") else response.content.decode().count(".pdf")
    return len(queries), len(rows) if isinstance(rows, list) else rows


def test_document_lists_run_a_fixed_number_of_queries(client, p):
    login(client, p.owner)
    api = client_with(key_for(p.owner_org, user=p.owner))
    paths = [reverse("documents:document_list"), "/api/v1/documents/"]
    walked(p, 1)
    one = {path: _count(api if path.startswith("/api/") else client, path) for path in paths}
    walked(p, 5, first=20)
    six = {path: _count(api if path.startswith("/api/") else client, path) for path in paths}
    for path in paths:
        assert (one[path][1], six[path][1]) == (1, 6), (path, one[path], six[path])
        assert one[path][0] == six[path][0], (path, one[path], six[path])
    # The lease page's documents (the hook's one query) do not grow with them either.
    lease = Document.objects.filter(kind=DocumentKind.FEE_INVOICE).latest("pk").lease
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("leasing:lease_detail", args=[lease.pk]))
    assert sum("documents_document" in query["sql"] for query in queries.captured_queries) == 1
