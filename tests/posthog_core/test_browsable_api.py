"""The browsable API with a session login page reachable from it."""

import pytest

pytestmark = pytest.mark.django_db


def test_login_page_is_served(client):
    response = client.get("/api-auth/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_login_with_email_and_password_opens_a_session(client, user):
    response = client.post("/api-auth/login/", {"username": user.email, "password": "password", "next": "/api/users/@me/"})

    assert response.status_code == 302
    assert client.get("/api/users/@me/").json()["email"] == user.email


def test_browsable_api_page_links_to_the_login_page(client, team):
    response = client.get("/api/projects/", HTTP_ACCEPT="text/html")

    assert response.status_code == 401
    assert b"/api-auth/login/" in response.content


def test_browsable_api_renders_for_a_session_user(session_client):
    response = session_client.get("/api/users/@me/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"/api-auth/logout/" in response.content
