"""Pages in a real browser (headless Chromium): Arabic pages mirror, nothing overflows a phone screen, the
journey works with clicks. Skipped where Chromium or Playwright is missing, unless REQUIRE_BROWSER is set (CI)."""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from .conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

if not (CHROMIUM and sync_playwright):
    if os.environ.get("REQUIRE_BROWSER"):
        raise RuntimeError("REQUIRE_BROWSER is set but Chromium or Playwright is missing")
    pytest.skip("needs Chromium and Playwright", allow_module_level=True)


@pytest.fixture
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        yield context.new_page()
        browser.close()


def sign_in(page, server, username):
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_arabic_lesson_mirrors_and_english_does_not(page, server, make_user):
    make_user("guard", language="ar")
    sign_in(page, server, "guard")
    page.goto(f"{server}/modules/child-sensitive-borders/lessons/best-interests")
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert box(page, ".brand")["x"] > width / 2  # the site name starts on the right
    heading = box(page, "main h1")
    assert heading["x"] + heading["width"] > width * 0.7  # the title hugs the right edge
    objectives_bullet = page.evaluate(
        "getComputedStyle(document.querySelector('.objectives ul')).paddingRight")
    assert objectives_bullet != "0px"  # list indentation is on the right in Arabic
    page.goto(f"{server}/modules/child-sensitive-borders/lessons/best-interests?lang=en")
    assert page.evaluate("document.documentElement.dir") == "ltr"
    assert box(page, ".brand")["x"] < width / 2


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_pages_fit_a_phone_screen(page, server, make_user, lang):
    make_user("guard", language=lang)
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, server, "guard")
    for path in ("/modules", "/modules/rights-at-borders", "/modules/rights-at-borders/lessons/non-refoulement",
                 "/glossary"):
        page.goto(server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (path, overflow)


def test_a_learner_clicks_through_a_lesson_and_the_quiz(page, server, make_user):
    make_user("guard", language="fr")
    sign_in(page, server, "guard")
    page.locator(".grid .card .btn").first.click()  # "Start" on the first module
    assert "/lessons/" in page.url
    page.click(".pager form button")  # mark as done and continue
    assert page.url.endswith("/lessons/identifying-children-alone")
    page.goto(f"{server}/modules/child-sensitive-borders/quiz")
    page.click("form[action$='/quiz/start'] button")
    for question in page.locator("fieldset.question").all():
        question.locator("input").first.check()
    page.click("form[action*='/attempts/'] button[type=submit]")
    assert "/quiz/attempts/1" in page.url
    assert page.locator(".score").inner_text().strip().endswith("%")
    assert page.locator(".feedback").count() >= 10
