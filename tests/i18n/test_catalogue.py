"""Text built in Python (credit rating factors, money, units) follows the active language."""

from dataclasses import asdict
from decimal import Decimal

import pytest
from django.utils import translation

from common.money import format_money
from common.templatetags.money import units
from trust.models import CreditRating
from trust.rating import FACTOR_FACTS, History, factor_text, rating_from

HISTORIES = [
    History(),
    History(
        verified=True,
        completed=1,
        disputes_lost=1,
        no_shows=1,
        unanswered=1,
        late_checkins=1,
        reviews=1,
        review_stars=4,
    ),
    History(
        verified=True,
        completed=7,
        disputes_lost=2,
        no_shows=2,
        unanswered=3,
        late_checkins=2,
        short_shipments=2,
        reviews=3,
        review_stars=13,
        blacklisted=True,
    ),
]


@pytest.mark.parametrize("history", HISTORIES)
def test_the_factor_texts_are_the_stored_english_ones(history):
    """``factor_text`` must say in English exactly what ``rating_from`` stores: this catches a
    wording changed in one place only."""
    facts = asdict(history)
    for factor in rating_from(history).factors:
        keys = FACTOR_FACTS[factor.key]
        with translation.override("en"):
            assert factor_text(factor.key, {key: facts.get(key, 0) for key in keys}) == (factor.label, factor.detail)


def test_a_stored_rating_is_explained_in_the_readers_language():
    history = HISTORIES[2]
    facts = asdict(history)
    rating = CreditRating(
        factors=[
            {**asdict(factor), "facts": {key: facts[key] for key in FACTOR_FACTS[factor.key]}}
            for factor in rating_from(history).factors
        ]
        + [{"key": "legacy", "label": "Legacy", "detail": "Stored before translation", "points": 0}]
    )
    with translation.override("zh-hans"):
        shown = rating.factors_shown
    assert [row["label"] for row in shown][:3] == ["认证", "已完成的租约", "败诉争议"]
    assert shown[3]["detail"] == "2 个已接受的租约被撤回或未付款；3 个申请超时未答复"
    assert shown[-1]["detail"] == "Stored before translation"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_money_keeps_the_currencys_decimals(language):
    with translation.override(language):
        assert format_money(Decimal("1234.5"), "EUR") == "€1,234.50"
        assert format_money(Decimal("1234.5"), "JPY") == "JP¥1,235"
        assert format_money(Decimal("1234.5"), "KWD") == "1,234.500 KWD"
        assert format_money(Decimal("-0.0001"), "BHD") == "0.000 BHD"


def test_money_and_units_in_chinese():
    with translation.override("zh-hans"):
        assert format_money(Decimal("99"), "CNY") == "¥99.00"
        assert units(1200, "pallet") == "1,200 个托盘位"
    with translation.override("en"):
        assert format_money(Decimal("99"), "CNY") == "CN¥99.00"
        assert units(1, "pallet") == "1 pallet position"
        assert units(1200, "sqm") == "1,200 m²"
