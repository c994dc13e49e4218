"""Transfer emails come from one message table and render in each reader's language, with the
plural chosen by the transfer's quantity."""

import pytest
from django.utils import translation

from common.i18n import lazy_format
from leasing.notifications import TRANSFER_MESSAGES


@pytest.mark.parametrize(("count", "english"), [(1, "1 unit"), (3, "3 units")])
def test_a_transfer_message_picks_its_plural_from_the_quantity(count, english):
    text = lazy_format(
        TRANSFER_MESSAGES["needs_consent"][1],
        exporter="Ningbo Tools",
        count=count,
        date="1 May",
        receiver="Shenzhen Goods",
    )
    with translation.override("en"):
        assert f"hands {english} from 1 May on to Shenzhen Goods" in str(text)
    with translation.override("zh-hans"):
        assert f"{count} 个单位转让给 Shenzhen Goods" in str(text)


def test_every_transfer_step_has_a_translated_subject():
    with translation.override("zh-hans"):
        untranslated = [step for step, (subject, _text) in TRANSFER_MESSAGES.items() if str(subject).isascii()]
    assert untranslated == []
