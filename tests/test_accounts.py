"""Signing in and out, CSRF, one-time codes, and the `users create` command."""
from sqlalchemy import select

from trainer.accounts.models import User
from trainer.accounts.services import issue_login_code
from trainer.extensions import db

from .conftest import PASSWORD, Browser, html_text


def test_sign_in_and_out(browser, learner):
    response = browser.login("learner")
    assert response.status_code == 302 and response.headers["Location"] == "/modules"
    assert browser.get("/modules").status_code == 200
    browser.logout()
    assert browser.get("/modules").status_code == 302


def test_wrong_password_and_inactive_account_are_refused(browser, make_user):
    user = make_user("guard")
    assert "Wrong username, password or code" in html_text(browser.login("guard", "not-the-password"))
    user.active = False
    db.session.commit()
    assert "Wrong username, password or code" in html_text(browser.login("guard"))


def test_a_post_without_csrf_token_is_refused_with_400(browser, learner):
    response = browser.post("/login", {"username": "learner", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "security token" in html_text(response)
    browser.login("learner")
    response = browser.post("/modules/child-sensitive-borders/lessons/best-interests/done", csrf=False)
    assert response.status_code == 400
    response = browser.post("/modules/child-sensitive-borders/quiz/start", {"csrf_token": "forged"}, csrf=False)
    assert response.status_code == 400


def test_sign_in_only_sends_to_same_site_pages(browser, learner):
    browser.get("/login?next=https://evil.example/")
    response = browser.post("/login", {"username": "learner", "password": PASSWORD, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/modules"
    browser.logout()
    response = browser.post("/login", {"username": "learner", "password": PASSWORD, "next": "/glossary"})
    assert response.headers["Location"] == "/glossary"


def test_one_time_code_then_choose_password(app, make_user):
    user = make_user("newcomer")
    user.password_hash = None
    code = issue_login_code(user)
    db.session.commit()
    browser = Browser(app.test_client())
    response = browser.login("newcomer", code.lower())
    assert response.headers["Location"] == "/account/password"
    assert browser.get("/modules").headers["Location"] == "/account/password"  # nothing else before a password
    response = browser.post("/account/password", {"password": "my own secret", "confirm": "my own secret"})
    assert response.status_code == 302
    browser.logout()
    assert "Wrong" in html_text(browser.login("newcomer", code))  # the code worked once only
    assert browser.login("newcomer", "my own secret").headers["Location"] == "/modules"


def test_users_create_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "salma", "--role", "learner", "--full-name", "Salma Aziz",
                                 "--full-name-ar", "سلمى عزيز", "--country", "jo", "--language", "ar",
                                 "--password-stdin"], input="a long password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "salma"))
    assert (user.full_name_ar, user.country, user.language, user.role) == ("سلمى عزيز", "JO", "ar", "learner")
    browser = Browser(app.test_client())
    assert browser.login("salma", "a long password").status_code == 302
    bad = runner.invoke(args=["users", "create", "salma", "--role", "learner", "--country", "XX",
                              "--password-stdin"], input="a long password\n")
    assert bad.exit_code == 1 and "not an ISO 3166" in bad.output and "Traceback" not in bad.output
    without = runner.invoke(args=["users", "create", "nadia", "--role", "trainer"])
    assert without.exit_code == 0 and "one-time sign-in code" in without.output


def test_demo_command_seeds_once_and_prints_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and "Demo data created." in first.output
    assert "admin" in first.output and "demo-2026" in first.output
    second = runner.invoke(args=["demo"])
    assert "already present" in second.output
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"admin", "trainer", "authority", "learner"}
    assert db.session.scalar(select(User).where(User.full_name_ar.is_not(None), User.role == "learner"))
    assert len(set(db.session.scalars(select(User.country).where(User.role == "learner")))) == 2


def test_self_registration_only_when_the_deployment_allows_it(make_app, _schema):
    closed = make_app()
    with closed.app_context():
        assert closed.test_client().get("/register").status_code == 404
    open_app = make_app(SELF_REGISTRATION=True)
    with open_app.app_context():
        browser = Browser(open_app.test_client())
        assert "Create an account" in html_text(browser.get("/login"))
        browser.get("/register")
        response = browser.post("/register", {"username": "hala", "full_name": "Hala Nasser",
                                              "full_name_ar": "هالة ناصر", "country": "JO", "language": "ar",
                                              "password": "a long password", "confirm": "a long password"})
        assert response.status_code == 302
        user = db.session.scalar(select(User).where(User.username == "hala"))
        assert user.role == "learner" and user.language == "ar"
        assert browser.get("/modules").status_code == 200
        from .conftest import _empty_tables

        _empty_tables()


def test_sign_in_attempts_are_rate_limited(make_app, _schema, make_user):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        browser = Browser(app.test_client())
        codes = [browser.login("nobody", "wrong password").status_code for _ in range(4)]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        assert "Too many requests" in html_text(browser.post("/login", {"username": "x", "password": "y"}))
