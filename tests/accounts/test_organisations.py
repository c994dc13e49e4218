import re
from unittest import mock

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.db import OperationalError
from django.urls import reverse

from accounts.choices import Role
from accounts.models import Invitation, Membership, Organisation
from accounts.services import invitation_create
from tests.accounts.factories import (
    InvitationFactory,
    OrganisationFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.django_db


def test_creating_an_organisation_makes_the_creator_its_admin(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("accounts:organisation_create"), {"name": "Acme Export", "is_exporter": "on", "country": "CN"}
    )

    organisation = Organisation.objects.get(name="Acme Export")
    assert response["Location"] == reverse("dashboard")
    assert organisation.is_exporter
    assert not organisation.is_owner
    assert Membership.objects.get(user=user, organisation=organisation).role == Role.ADMIN


def test_an_organisation_must_choose_what_it_does(client):
    client.force_login(UserFactory())

    response = client.post(reverse("accounts:organisation_create"), {"name": "Nothing Co"})

    assert response.status_code == 200
    assert "Choose what your organisation does" in response.content.decode()
    assert not Organisation.objects.exists()


def test_a_user_without_organisation_is_sent_to_create_one(client):
    client.force_login(UserFactory())

    response = client.get(reverse("leasing:owner_dashboard"))

    assert response["Location"] == reverse("accounts:organisation_create")


def test_dashboards_follow_what_the_organisation_does(client):
    owner = member_of(OrganisationFactory(is_owner=True, is_exporter=False))
    client.force_login(owner)

    assert client.get(reverse("dashboard"))["Location"] == reverse("leasing:owner_dashboard")
    assert client.get(reverse("leasing:owner_dashboard")).status_code == 200
    assert client.get(reverse("leasing:exporter_dashboard")).status_code == 404


class TestInvitations:
    def test_admin_invites_and_the_invitee_joins_after_signing_up(self, client, django_capture_on_commit_callbacks):
        organisation = OrganisationFactory()
        admin = member_of(organisation)
        client.force_login(admin)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:members"), {"email": "Colleague@Example.com", "role": "member"})

        assert response["Location"] == reverse("accounts:members")
        invitation = Invitation.objects.get(organisation=organisation)
        assert invitation.email == "colleague@example.com"
        assert mail.outbox[0].to == ["colleague@example.com"]
        path = re.search(r"/organisations/invitations/[\w-]+/", mail.outbox[0].body).group(0)
        assert mail.outbox[0].alternatives  # an HTML part as well as the text

        client.logout()
        response = client.get(path)
        assert response["Location"].startswith(reverse("account_signup"))

        invitee = UserFactory(email="colleague@example.com")
        client.force_login(invitee)
        response = client.post(path)

        assert response["Location"] == reverse("dashboard")
        assert Membership.objects.get(user=invitee, organisation=organisation).role == Role.MEMBER
        assert client.post(path).status_code == 200  # used once only
        assert Membership.objects.filter(user=invitee).count() == 1

    def test_an_invitation_cannot_be_used_by_another_address(self, client):
        invitation = InvitationFactory(email="right@example.com")
        client.force_login(UserFactory(email="wrong@example.com"))

        response = client.post(reverse("accounts:invitation_accept", args=[invitation.token]), follow=True)

        assert "This invitation is for right@example.com" in response.content.decode()
        assert not Membership.objects.filter(organisation=invitation.organisation).exists()

    def test_members_cannot_invite(self, client):
        organisation = OrganisationFactory()
        client.force_login(member_of(organisation, role=Role.MEMBER))

        client.post(reverse("accounts:members"), {"email": "x@example.com", "role": "admin"})

        assert not Invitation.objects.exists()
        assert mail.outbox == []

    def test_inviting_an_existing_member_is_a_form_error(self, client):
        organisation = OrganisationFactory()
        admin = member_of(organisation)
        client.force_login(admin)

        response = client.post(reverse("accounts:members"), {"email": admin.email, "role": "member"})

        assert "already a member" in response.content.decode()
        assert not Invitation.objects.exists()

    def test_a_revoked_invitation_cannot_be_accepted(self, client):
        organisation = OrganisationFactory()
        admin = member_of(organisation)
        invitation = invitation_create(
            organisation=organisation, email="late@example.com", role=Role.MEMBER, invited_by=admin
        )
        client.force_login(admin)
        client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]))

        client.force_login(UserFactory(email="late@example.com"))
        client.post(reverse("accounts:invitation_accept", args=[invitation.token]))

        assert not Membership.objects.filter(organisation=organisation, user__email="late@example.com").exists()

    def test_another_organisations_invitation_is_a_404(self, client):
        theirs = InvitationFactory()
        client.force_login(member_of(OrganisationFactory()))

        response = client.post(reverse("accounts:invitation_revoke", args=[theirs.pk]))

        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.revoked_at is None


def test_switching_organisation_changes_the_current_one(client):
    user = UserFactory()
    first = OrganisationFactory(name="First Owner", is_owner=True, is_exporter=False)
    second = OrganisationFactory(name="Second Exporter", is_owner=False, is_exporter=True)
    member_of(first)
    Membership.objects.create(user=user, organisation=first, role=Role.ADMIN)
    Membership.objects.create(user=user, organisation=second, role=Role.MEMBER)
    client.force_login(user)

    assert client.get(reverse("dashboard"))["Location"] == reverse("leasing:owner_dashboard")
    client.post(reverse("accounts:organisation_switch"), {"organisation": second.pk})

    assert client.get(reverse("dashboard"))["Location"] == reverse("leasing:exporter_dashboard")
    assert client.get(reverse("leasing:exporter_dashboard")).context["request"].organisation == second


def test_switching_to_an_organisation_you_are_not_in_is_a_404(client):
    user = member_of(OrganisationFactory())
    stranger = OrganisationFactory()
    client.force_login(user)

    response = client.post(reverse("accounts:organisation_switch"), {"organisation": stranger.pk})

    assert response.status_code == 404
    assert client.session.get("organisation_id") != stranger.pk


class TestStaffConsole:
    def test_staff_without_mfa_are_sent_to_set_it_up(self, client):
        client.force_login(UserFactory(is_staff=True))

        response = client.get(reverse("staff:console"))

        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")

    def test_staff_with_mfa_reach_the_console(self, client):
        staff = UserFactory(is_staff=True)
        Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"})
        client.force_login(staff)

        assert client.get(reverse("staff:console")).status_code == 200

    def test_non_staff_get_a_404(self, client):
        client.force_login(member_of(OrganisationFactory()))

        assert client.get(reverse("staff:console")).status_code == 404

    def test_django_admin_also_requires_mfa(self, client):
        client.force_login(UserFactory(is_staff=True, is_superuser=True))

        response = client.get(reverse("admin:index"), follow=True)

        assert (reverse("mfa_activate_totp"), 302) in response.redirect_chain
        assert response.status_code == 200  # allauth asks for the password again before setup


class TestHealthz:
    def test_ok_when_the_database_answers(self, client):
        response = client.get(reverse("healthz"))

        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}

    def test_503_when_the_database_is_down(self, client):
        with mock.patch("marketplace.views.connection.cursor", side_effect=OperationalError("connection refused")):
            response = client.get(reverse("healthz"))

        assert response.status_code == 503
        assert response.json()["status"] == "error"


def test_plain_text_emails_are_not_html_escaped(client, django_capture_on_commit_callbacks):
    organisation = OrganisationFactory(name="Ningbo Home & Garden")
    admin = member_of(organisation)

    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(organisation=organisation, email="new@example.com", role=Role.MEMBER, invited_by=admin)

    assert "Ningbo Home & Garden" in mail.outbox[0].subject
    assert "Ningbo Home & Garden" in mail.outbox[0].body
    assert "Ningbo Home &amp; Garden" in mail.outbox[0].alternatives[0][0]


def test_a_missing_page_is_a_friendly_404(client):
    client.force_login(member_of(OrganisationFactory()))

    response = client.get("/leases/999999/")

    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_the_500_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
