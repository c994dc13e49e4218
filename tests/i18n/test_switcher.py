"""The language switcher in the header, the language and time zone settings page, and the first
guess for visitors (the browser's Accept-Language)."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "new@example.com", "password1": "a-long-unusual-pass", "password2": "a-long-unusual-pass"}


def test_the_header_offers_the_other_language(client):
    page = client.get(reverse("landing")).content.decode()
    assert f'action="{reverse("language_set")}"' in page
    assert 'name="language" value="zh-hans"' in page
    assert "简体中文" in page
    page = client.get(reverse("landing"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'name="language" value="en"' in page


def test_a_signed_in_users_choice_is_saved_on_the_profile(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("language_set"), {"language": "zh-hans", "next": "/search/"})

    assert response.status_code == 302
    assert response["Location"] == "/search/"
    user.refresh_from_db()
    assert user.language == "zh-hans"
    # the saved choice wins over the browser's, also in a new session without the cookie
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    client.force_login(user)
    response = client.get(reverse("landing"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"


def test_a_visitors_choice_is_kept_in_a_cookie(client):
    response = client.post(reverse("language_set"), {"language": "zh-hans", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert client.get(reverse("landing"))["Content-Language"] == "zh-hans"
    assert not User.objects.exists()


def test_unknown_languages_and_foreign_redirects_are_refused(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("language_set"), {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil")
    user.refresh_from_db()
    assert user.language == ""
    assert client.get(reverse("language_set")).status_code == 405


def test_the_settings_page_saves_language_and_time_zone(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("preferences"), {"language": "zh-hans", "time_zone": "Asia/Shanghai"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("zh-hans", "Asia/Shanghai")
    assert "您的语言和时区已保存" in client.get(reverse("preferences")).content.decode()

    response = client.post(reverse("preferences"), {"language": "", "time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.time_zone == "Asia/Shanghai"


def test_signing_up_keeps_the_language_the_page_was_shown_in(client):
    client.post(reverse("account_signup"), SIGNUP, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert User.objects.get(email=SIGNUP["email"]).language == "zh-hans"
