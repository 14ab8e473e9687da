"""Languages: Arabic pages are right to left, the language is chosen in the right order, content falls back to
English, and the interface catalogs are complete."""
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from trainer.extensions import db

from .conftest import REPO, Browser, html_text

PAGES = ["/modules", "/modules/child-sensitive-borders", "/modules/child-sensitive-borders/lessons/best-interests",
         "/modules/child-sensitive-borders/quiz", "/glossary", "/account"]


@pytest.mark.parametrize("lang,direction", [("ar", "rtl"), ("en", "ltr"), ("fr", "ltr")])
def test_every_learner_page_has_the_language_and_direction(browser, make_user, lang, direction):
    make_user("guard", language=lang)
    browser.login("guard")
    for url in PAGES:
        html = browser.get(url).get_data(as_text=True)
        assert f'<html lang="{lang}" dir="{direction}">' in html, url


def test_arabic_lesson_shows_arabic_content_and_interface(browser, make_user):
    make_user("guard", language="ar")
    browser.login("guard")
    text = html_text(browser.get("/modules/child-sensitive-borders/lessons/best-interests"))
    assert "مصالح الطفل الفضلى على الحدود" in text
    assert "Key points" not in text and "Mark as done" not in text


def test_language_order_preference_then_switcher_then_accept_language(app, make_user):
    anonymous = Browser(app.test_client())
    assert 'lang="fr"' in anonymous.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert 'lang="ar"' in anonymous.get("/login?lang=ar", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'lang="ar"' in anonymous.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    user = make_user("guard", language="en")
    browser = Browser(app.test_client())
    browser.login("guard")
    assert 'lang="en"' in browser.get("/modules", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'lang="fr"' in browser.get("/modules?lang=fr").get_data(as_text=True)
    db.session.refresh(user)
    assert user.language == "fr"  # the switcher saves the preference
    assert 'lang="fr"' in browser.get("/glossary").get_data(as_text=True)


def test_missing_translation_falls_back_to_marked_english(make_app, _schema, tmp_path, make_user):
    from .conftest import sample_tree

    root = sample_tree(tmp_path)
    lesson = root / "modules/sample/lessons/second.yaml"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("  ar: الدرس الثاني.\n", ""), encoding="utf-8")
    app = make_app(CONTENT_ROOT=str(root))
    with app.app_context():
        make_user("guard", language="ar")
        browser = Browser(app.test_client())
        browser.login("guard")
        html = browser.get("/modules/sample/lessons/second").get_data(as_text=True)
        assert '<div lang="en" dir="ltr"><p>The second lesson.</p></div>' in html
        assert "الدرس الثاني" in html  # the title is still in Arabic


def test_language_switcher_links_keep_the_page(browser, learner):
    browser.login("learner")
    html = browser.get("/modules/child-sensitive-borders").get_data(as_text=True)
    for lang in ("ar", "en", "fr"):
        assert f'href="/modules/child-sensitive-borders?lang={lang}"' in html


def _extracted_messages():
    """{(msgid, context)} of every interface string in the code and templates."""
    method_map = [("trainer/**.py", "python"), ("trainer/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
                "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}
    found = set()
    for _, _, message, _, context in extract_from_dir(str(REPO), method_map=method_map, keywords=keywords):
        found.add((message[0] if isinstance(message, (tuple, list)) else message, context))
    return found


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_interface_catalog_is_complete(lang):
    path = REPO / "trainer" / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    messages = _extracted_messages()
    assert len(messages) > 100
    missing = []
    for message, context in sorted(messages, key=str):
        entry = catalog.get(message, context=context)
        strings = entry.string if entry is not None else None
        if entry is None or entry.fuzzy or not (all(strings) if isinstance(strings, tuple) else strings):
            missing.append(message)
    assert missing == [], f"{len(missing)} untranslated in {lang}: {missing[:10]}"
    # Placeholders must survive translation.
    for message in catalog:
        if message.id and message.string:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(re.findall(r"%\(\w+\)[sd]", ids[0]))
            for translated in strings:
                assert set(re.findall(r"%\(\w+\)[sd]", translated)) <= wanted | {"%(num)d"}, message.id
