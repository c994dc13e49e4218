"""Acceptance 1: the main pages render in Simplified Chinese, with none of their English headings.

Each page is rendered twice: in English (which proves the headings listed are really on the page,
so the list cannot go stale) and in Chinese — chosen from the browser's Accept-Language for
visitors, from the saved profile language for signed-in users."""

import html
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from accounts.models import User
from leasing.choices import LeaseState as S
from tests.leasing.factories import Parties
from tests.trust.factories import disputed, staff_user

pytestmark = pytest.mark.django_db


def visible_text(content: bytes) -> str:
    page = content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@dataclass
class World:
    p: Parties
    staff: User
    urls: dict[str, str]


@pytest.fixture
def world() -> World:
    p = Parties(capacity=100)
    dispute = disputed(p)
    accepted = p.lease_in(S.ACCEPTED)
    listing, warehouse = p.listing, p.listing.warehouse
    urls = {
        "landing": reverse("landing"),
        "search": reverse("warehouses:search"),
        "listing": reverse("warehouses:listing_detail", args=[listing.pk]),
        "profile": reverse("trust:organisation_profile", args=[p.owner_org.pk]),
        "dispute": reverse("trust:dispute_detail", args=[dispute.pk]),
        "verification": reverse("trust:verification"),
        "members": reverse("accounts:members"),
        "preferences": reverse("preferences"),
        "api_keys": reverse("integrations:api_keys"),
        "warehouses": reverse("warehouses:owner:warehouse_list"),
        "warehouse": reverse("warehouses:owner:warehouse_detail", args=[warehouse.pk]),
        "calendar": reverse("warehouses:owner:listing_calendar", args=[listing.pk]),
        "payout": reverse("escrow:payout_account"),
        "console": reverse("staff:console"),
        "staff_dispute": reverse("staff:dispute_detail", args=[dispute.pk]),
        "blacklist": reverse("staff:blacklist"),
        "staff_ledger": reverse("staff:organisation_ledger", args=[p.owner_org.pk]),
        "lease": reverse("leasing:lease_detail", args=[dispute.lease_id]),
        "checkout": reverse("leasing:lease_pay", args=[accepted.pk]),
        "owner_dashboard": reverse("leasing:owner_dashboard"),
        "exporter_dashboard": reverse("leasing:exporter_dashboard"),
    }
    return World(p=p, staff=staff_user(), urls=urls)


# page -> (who looks at it, English headings that must not survive in Chinese)
PAGES: dict[str, tuple[str, list[str]]] = {
    "landing": (
        "visitor",
        [
            "Short-term warehouse space next to your buyers abroad",
            "For exporters",
            "For warehouse owners",
            "How the guarantee works",
            "Find space",
            "Get started",
        ],
    ),
    "search": ("visitor", ["Find warehouse space", "When and how much", "Request to book", "days, all in"]),
    "listing": (
        "visitor",
        ["About this space", "Get a price", "Free capacity, next 90 days", "Nearest port", "Total, paid into escrow"],
    ),
    "profile": ("visitor", ["Credit rating", "Completed leases", "Reviews appear after completed leases"]),
    "dispute": ("exporter", ["Messages and evidence", "What happens next", "Add to the thread", "Held in escrow"]),
    "verification": ("owner", ["Your public profile", "You can request, accept, pay and be paid"]),
    "members": ("owner", ["Invite a colleague", "Open invitations", "Send invitation"]),
    "preferences": ("owner", ["Language and time zone", "Your time zone"]),
    "api_keys": ("owner", ["Create a key", "No keys yet"]),
    "warehouses": ("owner", ["Your warehouses", "Nearest port", "All listings"]),
    "warehouse": ("owner", ["Edit warehouse", "Upload photo", "Add a listing"]),
    "calendar": ("owner", ["Listing details", "Capacity changes", "Close or reduce capacity"]),
    "payout": ("owner", ["Payout account", "Where you are paid"]),
    "console": (
        "staff",
        ["Staff console", "Open disputes, oldest first", "Verification queue", "Latest staff actions"],
    ),
    "staff_dispute": (
        "staff",
        ["Resolve the dispute", "Messages and evidence", "Write to both sides as Wareshare staff"],
    ),
    "blacklist": ("staff", ["Lifted and expired", "Add an organisation", "Nobody is blacklisted"]),
    "staff_ledger": ("staff", ["Account balances", "Entries on its accounts"]),
}
LEASE_PAGES: dict[str, tuple[str, list[str]]] = {
    "lease_exporter": ("exporter", ["The lease", "Price and money", "Timeline"]),
    "lease_owner": ("owner", ["The lease", "Price and money", "Timeline"]),
    "checkout": ("exporter", ["Pay into escrow", "What you pay for"]),
    "owner_dashboard": ("owner", ["Inbox: requests waiting for you", "Leases in progress"]),
    "exporter_dashboard": ("exporter", ["Needs you", "In progress"]),
}


def render(client, world: World, screen: str, who: str, language: str) -> bytes:
    url = world.urls[screen.removesuffix("_exporter").removesuffix("_owner")]
    headers = {}
    if who == "visitor":
        if language == "zh-hans":
            headers["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9,en;q=0.5"
    else:
        user = {"owner": world.p.owner, "exporter": world.p.exporter, "staff": world.staff}[who]
        User.objects.filter(pk=user.pk).update(language="" if language == "en" else language)
        client.force_login(user)
    response = client.get(url, **headers)
    assert response.status_code == 200, (screen, response.status_code)
    assert response["Content-Language"] == language
    return response.content


def check(client, world: World, screen: str, who: str, headings: list[str]) -> None:
    english = visible_text(render(client, world, screen, who, "en"))
    for heading in headings:
        assert heading in english, f"{screen}: “{heading}” is not on the English page: the list is stale"
    content = render(client, world, screen, who, "zh-hans")
    assert b'<html lang="zh-hans">' in content
    chinese = visible_text(content)
    assert not [heading for heading in headings if heading in chinese], screen
    assert re.search(r"[\u4e00-\u9fff]", chinese)


@pytest.mark.parametrize("screen", PAGES)
def test_main_pages_in_chinese_have_no_english_headings(client, world, screen):
    who, headings = PAGES[screen]
    check(client, world, screen, who, headings)


@pytest.mark.parametrize("screen", LEASE_PAGES)
def test_lease_pages_in_chinese_have_no_english_headings(client, world, screen):
    who, headings = LEASE_PAGES[screen]
    check(client, world, screen, who, headings)


def test_a_visitor_gets_english_without_a_chinese_browser(client, world):
    response = client.get(world.urls["landing"], HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert response["Content-Language"] == "en"
    assert "How the guarantee works" in visible_text(response.content)


def test_amounts_keep_the_currency_decimals_in_chinese(client, world):
    listing = world.p.listing
    listing.currency, listing.price_per_unit_day, listing.handling_in_fee = "JPY", 1500, 1234
    listing.save()
    text = visible_text(client.get(world.urls["listing"], HTTP_ACCEPT_LANGUAGE="zh-CN").content)
    assert "JP¥1,500" in text
    assert "JP¥1,234" in text
    assert "JP¥1,500.00" not in text


def test_dates_follow_the_language(client, world):
    day = world.p.listing.available_from
    assert f"from {day.day} {day:%b} {day.year}" in visible_text(client.get(world.urls["listing"]).content)
    chinese = visible_text(client.get(world.urls["listing"], HTTP_ACCEPT_LANGUAGE="zh-CN").content)
    assert f"自 {day.year}年{day.month}月{day.day}日 起" in chinese
