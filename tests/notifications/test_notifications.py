"""Every email the product sends to a user also appears in the app, with its link; the header
counts the unread ones; emails carry a plain-text and an HTML part."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.services import invitation_create
from common.emails import email_send
from leasing.choices import LeaseState as S
from notifications.models import Notification
from tests.accounts.factories import OrganisationFactory, UserFactory, member_of
from tests.trust.factories import pdf
from trust import services as trust_services
from trust.models import VerificationRequest

pytestmark = pytest.mark.django_db


def _send(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        email_send(**kwargs)


def test_an_email_to_a_user_is_kept_as_an_unread_notification(django_capture_on_commit_callbacks):
    user = UserFactory(email="Ana@Example.com")
    context = {"subject": "Your goods arrived", "lines": ["Two pallets", "Count them"], "action": "Open", "path": "/x/"}

    _send(
        django_capture_on_commit_callbacks,
        to=["ana@example.com", "nobody@example.com"],
        template="trust_update",
        context=context,
    )

    assert len(mail.outbox) == 1
    notification = Notification.objects.get()
    assert notification.user == user
    assert notification.kind == "trust_update"
    assert notification.subject == "Your goods arrived"
    assert notification.path == "/x/"
    assert "Two pallets" in notification.body
    assert "http" not in notification.body  # the absolute link and the sign-off are left to the email
    assert "— Wareshare" not in notification.body
    assert not notification.body.startswith("Your goods arrived")  # the subject is shown once
    assert notification.is_unread


def test_nothing_is_kept_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    UserFactory(email="ana@example.com")
    with django_capture_on_commit_callbacks(execute=False):
        email_send(to=["ana@example.com"], template="trust_update", context={"subject": "x", "lines": []})

    assert not Notification.objects.exists()
    assert not mail.outbox


def test_every_lease_email_reaches_the_app_too(p, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lease = p.lease_in(S.FUNDED)

    emailed = {(to, m.subject.removeprefix("[Wareshare] ")) for m in mail.outbox for to in m.to}
    kept = {(n.user.email, n.subject) for n in Notification.objects.select_related("user")}
    assert emailed == kept
    assert (p.owner.email, f"New lease request — lease #{lease.pk}") in kept
    assert (p.exporter.email, f"Your lease request was accepted — lease #{lease.pk}") in kept
    assert all(n.path == reverse("leasing:lease_detail", args=[lease.pk]) for n in Notification.objects.all())


@pytest.mark.parametrize("template", ["lease_update", "trust_update", "invitation"])
def test_emails_have_a_plain_text_and_an_html_part(p, template, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        if template == "lease_update":
            p.request()
        elif template == "trust_update":
            organisation = OrganisationFactory(verification_status="unverified")
            admin = member_of(organisation)
            trust_services.verification_submit(
                organisation=organisation,
                by=admin,
                legal_name="Acme & Sons B.V.",
                registration_number="KVK-1",
                country="NL",
                address="Somewhere 1",
                documents=[pdf()],
            )
            assert VerificationRequest.objects.exists()
        else:
            invitation_create(organisation=p.owner_org, email="new@example.com", role="member", invited_by=p.owner)

    assert mail.outbox, template
    message = mail.outbox[-1]
    assert message.body.strip()
    assert "<html" not in message.body
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    assert "<html" in html
    assert "</html>" in html
    assert message.subject.startswith("[Wareshare] ")


def _seed(user, n=2):
    for i in range(n):
        Notification.objects.create(user=user, kind="trust_update", subject=f"Subject {i}", path="/dashboard/")


def test_the_header_counts_unread_notifications_and_the_list_shows_them(client, p):
    _seed(p.owner, 2)
    _seed(p.exporter, 5)
    client.force_login(p.owner)

    page = client.get(reverse("notifications:list")).content.decode()

    assert 'class="nav-count">2<span class="visually-hidden"> unread</span>' in page
    assert page.count('class="notification-subject"') == 2
    assert "Mark all as read" in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, p):
    _seed(p.owner, 1)
    notification = Notification.objects.get()
    client.force_login(p.owner)

    response = client.post(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    notification.refresh_from_db()
    assert not notification.is_unread


def test_a_link_off_the_site_is_not_followed(client, p):
    notification = Notification.objects.create(user=p.owner, kind="x", subject="x", path="//evil.example/")
    client.force_login(p.owner)

    response = client.post(reverse("notifications:open", args=[notification.pk]))

    assert response["Location"] == reverse("notifications:list")


def test_someone_elses_notification_is_a_404(client, p):
    _seed(p.exporter, 1)
    client.force_login(p.owner)

    response = client.post(reverse("notifications:open", args=[Notification.objects.get().pk]))

    assert response.status_code == 404
    assert Notification.objects.get().is_unread


def test_mark_all_as_read_touches_only_mine(client, p):
    _seed(p.owner, 3)
    _seed(p.exporter, 1)
    client.force_login(p.owner)

    response = client.post(reverse("notifications:read_all"), follow=True)

    assert "3 notifications marked as read." in response.content.decode()
    assert not Notification.objects.filter(user=p.owner, read_at=None).exists()
    assert Notification.objects.filter(user=p.exporter, read_at=None).count() == 1


def test_the_empty_list_says_what_will_appear_there(client, p):
    client.force_login(p.owner)

    page = client.get(reverse("notifications:list")).content.decode()

    assert "No notifications yet" in page
    assert "nav-count" not in page


def test_the_pages_need_a_sign_in(client):
    response = client.get(reverse("notifications:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
