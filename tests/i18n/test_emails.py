"""Acceptance 2: each side of a lease gets its emails in its own language, whoever triggered them."""

import re

import pytest
from django.core import mail
from django.utils import translation

from accounts import services as accounts_services
from accounts.models import User
from common.emails import recipient_locales
from tests.accounts.factories import UserFactory
from tests.leasing.factories import Parties
from tests.trust.factories import disputed, staff_user
from trust import services as trust_services

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def p(p: Parties) -> Parties:
    """The shared parties, with an owner's user who reads Chinese and an exporter's who reads English."""
    User.objects.filter(pk=p.owner.pk).update(language="zh-hans", time_zone="Asia/Shanghai")
    User.objects.filter(pk=p.exporter.pk).update(language="en", time_zone="Europe/London")
    return p


def sent_to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


def test_a_dispute_reaches_each_side_in_its_own_language(p, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), translation.override("zh-hans"):
        # triggered in Chinese (as if the exporter browsed in Chinese): the exporter still reads English
        dispute = disputed(p)
    owner_mail, exporter_mail = sent_to(p.owner.email)[-1], sent_to(p.exporter.email)[-1]
    assert owner_mail.to == [p.owner.email]
    assert exporter_mail.to == [p.exporter.email]
    assert f"发起了争议 — 租约 #{dispute.lease_id}" in owner_mail.subject
    assert "托管" in owner_mail.body
    assert CHINESE.search(owner_mail.alternatives[0][0])
    assert f"opened a dispute — lease #{dispute.lease_id}" in exporter_mail.subject
    assert "Escrow holds" in exporter_mail.body
    assert not CHINESE.search(exporter_mail.subject + exporter_mail.body)


def test_a_staff_message_and_the_decision_too(p, django_capture_on_commit_callbacks):
    dispute = disputed(p)
    staff = staff_user()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        trust_services.dispute_message_post(dispute=dispute, by=staff, body="Please send photos.", as_staff=True)
        trust_services.dispute_resolve(dispute=dispute, by=staff, outcome="refund", note="Goods were missing.")
    owner_subjects = [message.subject for message in sent_to(p.owner.email)]
    exporter_subjects = [message.subject for message in sent_to(p.exporter.email)]
    assert [s.split("] ")[1].split(" — ")[0] for s in owner_subjects] == [
        "Wareshare 在您的争议中留言",
        "Wareshare 已裁定争议",
    ]
    assert [s.split("] ")[1].split(" — ")[0] for s in exporter_subjects] == [
        "Wareshare wrote in your dispute",
        "Wareshare resolved the dispute",
    ]
    decision = sent_to(p.owner.email)[-1].body
    assert "裁定：全额退款给出口商" in decision
    assert "已退还给出口商" in decision
    assert "Decision: Full refund to the exporter" in sent_to(p.exporter.email)[-1].body


def test_an_invitation_to_someone_new_is_in_the_inviters_language(p, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), translation.override("zh-hans"):
        accounts_services.invitation_create(
            organisation=p.owner_org, email="new.colleague@example.com", role="member", invited_by=p.owner
        )
    assert "邀请您加入" in mail.outbox[-1].subject


def test_languages_are_read_in_one_query(p, django_assert_num_queries):
    other = UserFactory(language="zh-hans", time_zone="Asia/Shanghai")
    with django_assert_num_queries(1):
        groups = recipient_locales(
            [p.owner.email, p.exporter.email, other.email.upper(), "nobody@example.com"], default_language="en"
        )
    assert groups == {
        ("en", "Europe/London"): [p.exporter.email],
        ("en", "UTC"): ["nobody@example.com"],
        ("zh-hans", "Asia/Shanghai"): sorted([other.email.upper(), p.owner.email]),
    }


def test_lease_emails_reach_each_side_in_its_own_language(p, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lease = p.request()  # the owner is told: in Chinese
        p.accept(lease)  # the exporter is told: in English
    assert CHINESE.search(sent_to(p.owner.email)[-1].subject)
    assert not CHINESE.search(sent_to(p.exporter.email)[-1].subject)
