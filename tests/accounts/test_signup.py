import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "new@example.com", "password1": "a-long-unusual-pass", "password2": "a-long-unusual-pass"}


def test_signup_sends_verification_then_confirming_signs_in(client):
    response = client.post(reverse("account_signup"), SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)

    # Until the address is confirmed, the password alone does not sign in.
    client.logout()
    response = client.post(reverse("account_login"), {"login": SIGNUP["email"], "password": SIGNUP["password1"]})
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    path = link.split("127.0.0.1:8000")[-1].split("testserver")[-1]
    response = client.post(path)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email=SIGNUP["email"]).pk)

    client.logout()
    response = client.post(reverse("account_login"), {"login": SIGNUP["email"], "password": SIGNUP["password1"]})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**SIGNUP, "email": "not-an-email"}, "email"),
        ({**SIGNUP, "password2": "something-else-entirely"}, "password2"),
        ({**SIGNUP, "password1": "123", "password2": "123"}, "password1"),
    ],
)
def test_bad_signup_input_gives_form_errors_and_creates_nothing(client, data, field):
    response = client.post(reverse("account_signup"), data)

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not User.objects.exists()
    assert mail.outbox == []


def test_repeated_failed_logins_are_rate_limited(client):
    user = UserFactory()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})

    assert "Too many failed login attempts" in response.content.decode()
    # Even the right password is refused while the limit holds.
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link(client):
    user = UserFactory()
    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
