"""Administration: the content problems of a broken module are shown to admins; users are managed by admins
only; one-time codes are shown once and never cached."""
from sqlalchemy import select

from trainer.accounts.models import User
from trainer.extensions import db

from .conftest import Browser, html_text, sample_tree


def test_only_admins_open_the_administration(browser, make_user):
    make_user("guard")
    browser.login("guard")
    assert browser.get("/admin/").status_code == 403
    assert browser.get("/admin/users").status_code == 403
    assert browser.post("/admin/users/new", {"username": "x", "full_name": "X", "role": "admin"}).status_code == 403


def test_a_broken_module_is_left_out_and_its_problems_shown_to_admins(make_app, _schema, tmp_path, make_user):
    root = sample_tree(tmp_path)
    quiz = root / "quizzes/sample.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("pass_mark: 60", "pass_mark: 600"), encoding="utf-8")
    app = make_app(CONTENT_ROOT=str(root))
    with app.app_context():
        make_user("boss", role="admin")
        make_user("guard")
        admin = Browser(app.test_client())
        admin.login("boss")
        text = html_text(admin.get("/admin/"))
        assert "sample.yaml:4: 'pass_mark' must be from 0 to 100, not 600" in text
        assert "1 module is left out because of errors" in text
        learner = Browser(app.test_client())
        learner.login("guard")
        assert learner.get("/modules/sample").status_code == 404
        assert "No module is available" in html_text(learner.get("/modules"))


def test_admin_creates_a_user_who_signs_in_with_the_code(app, make_user):
    make_user("boss", role="admin")
    admin = Browser(app.test_client())
    admin.login("boss")
    admin.get("/admin/users/new")
    response = admin.post("/admin/users/new", {
        "username": "Rana.K", "full_name": "Rana Khoury", "full_name_ar": "رنا خوري", "country": "LB",
        "agency": "General Security", "language": "ar", "role": "learner", "active": "y"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    code = response.get_data(as_text=True).split('<dd class="code">')[2].split("<")[0].strip()
    user = db.session.scalar(select(User).where(User.username == "rana.k"))
    assert (user.full_name_ar, user.country, user.language) == ("رنا خوري", "LB", "ar")
    newcomer = Browser(app.test_client())
    assert newcomer.login("rana.k", code).headers["Location"] == "/account/password"


def test_admin_form_rejects_bad_values_with_messages(app, make_user):
    make_user("boss", role="admin")
    admin = Browser(app.test_client())
    admin.login("boss")
    admin.get("/admin/users/new")
    response = admin.post("/admin/users/new", {"username": "bad name!", "full_name": "محمد", "role": "authority",
                                               "language": "en"})
    text = html_text(response)
    assert response.status_code == 200
    assert "lowercase letters" in text and "Latin script" in text and "national authority needs the country" in text
    assert db.session.scalar(select(User).where(User.username == "bad name!")) is None


def test_admins_cannot_lock_themselves_out(app, make_user):
    boss = make_user("boss", role="admin", full_name="Boss")
    admin = Browser(app.test_client())
    admin.login("boss")
    admin.get(f"/admin/users/{boss.id}")
    response = admin.post(f"/admin/users/{boss.id}", {"username": "boss", "full_name": "Boss", "role": "learner",
                                                      "language": "en"}, follow_redirects=True)
    assert "cannot remove your own administrator access" in html_text(response)
    db.session.refresh(boss)
    assert boss.role == "admin" and boss.active


def test_user_list_filters(app, make_user):
    make_user("boss", role="admin")
    make_user("amira", full_name="Amira Saleh", country="JO")
    make_user("pierre", full_name="Pierre Martin", country="TN")
    admin = Browser(app.test_client())
    admin.login("boss")
    text = html_text(admin.get("/admin/users?country=TN"))
    assert "pierre" in text and "amira" not in text
    text = html_text(admin.get("/admin/users?q=saleh"))
    assert "amira" in text and "pierre" not in text
