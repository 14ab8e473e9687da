"""Site-wide behaviour: error pages, health check, light and cacheable pages."""
import gzip
import re

from .conftest import html_text


def test_unknown_url_gets_a_404_page(browser):
    response = browser.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in html_text(response) and "Traceback" not in response.get_data(as_text=True)


def test_an_unexpected_error_is_a_friendly_500_page(make_app, _schema):
    app = make_app()

    @app.route("/_boom_test")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/_boom_test")
    assert response.status_code == 500
    text = html_text(response)
    assert "Something went wrong" in text and "kaboom" not in text and "Traceback" not in text


def test_healthz_answers_when_the_database_does(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_does_not(make_app, tmp_path):
    broken = make_app(SQLALCHEMY_DATABASE_URI="postgresql://nobody@127.0.0.1:1/none")
    assert broken.test_client().get("/healthz").status_code == 503


def test_pages_are_compressed_and_static_files_cached(browser, learner):
    browser.login("learner")
    response = browser.get("/modules/child-sensitive-borders/lessons/best-interests",
                           headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"<html" in gzip.decompress(response.data)
    html = gzip.decompress(response.data).decode()
    css = html.split('rel="stylesheet" href="')[1].split('"')[0]
    assert "?v=" in css
    static = browser.get(css)
    assert "max-age=31536000" in static.headers["Cache-Control"]


def test_lesson_page_weighs_under_30_kb_on_the_wire(browser, learner):
    """Everything a lesson page loads (the page and its stylesheet), compressed as a browser receives it."""
    browser.login("learner")
    heaviest = 0
    for lesson in ("best-interests", "no-detention-of-children", "age-assessment"):
        for lang in ("ar", "en", "fr"):
            page = browser.get(f"/modules/child-sensitive-borders/lessons/{lesson}?lang={lang}",
                               headers={"Accept-Encoding": "br, gzip"})
            html = page.get_data()
            assert page.headers["Content-Encoding"] in ("br", "gzip")
            css_url = browser.get(f"/modules/child-sensitive-borders/lessons/{lesson}").get_data(as_text=True)
            css_url = css_url.split('rel="stylesheet" href="')[1].split('"')[0]
            css = browser.get(css_url, headers={"Accept-Encoding": "br, gzip"}).get_data()
            heaviest = max(heaviest, len(html) + len(css))
    assert heaviest < 30 * 1024, heaviest


def test_pages_make_no_third_party_requests(browser, learner):
    browser.login("learner")
    html = browser.get("/modules/child-sensitive-borders/lessons/best-interests").get_data(as_text=True)
    for attribute in ("src=", "<link"):
        for chunk in html.split(attribute)[1:]:
            assert not chunk.lstrip("\"' ").startswith(("http://", "https://", "//")) or "rel=\"noopener" in chunk
    assert "<script" not in html  # works without JavaScript


def test_templates_use_no_inline_styles_or_scripts():
    """The Content-Security-Policy allows only the site's stylesheet: an inline style would silently not apply."""
    from .conftest import REPO

    for template in (REPO / "trainer" / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<[a-zA-Z][^>]*\sstyle=", text), template.name
        assert "<style" not in text and "<script" not in text, template.name


def test_behind_a_trusted_proxy_the_visitor_address_is_used(make_app, _schema):
    from flask import request

    app = make_app(TRUSTED_PROXIES=1)

    @app.route("/_addr_test")
    def addr():
        return request.remote_addr

    response = app.test_client().get("/_addr_test", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.get_data(as_text=True) == "203.0.113.7"
    untrusted = make_app()

    @untrusted.route("/_addr_test")
    def addr2():
        return request.remote_addr

    assert untrusted.test_client().get("/_addr_test", headers={"X-Forwarded-For": "203.0.113.7"}).get_data(
        as_text=True) == "127.0.0.1"
