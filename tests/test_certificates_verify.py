"""The public verification pages: a serial as people type it, the QR code's signed record, an uploaded PDF, the
offline check with the published public key, three languages, and the rate limit (shared through Redis)."""
import json
import os
import re
import subprocess
import sys
import uuid

import pytest

from trainer.certificates import services, signing
from trainer.extensions import db

from .certificate_helpers import complete, path_of
from .conftest import REPO, html_text

ARABIC_NAME = "ليلى أبو زيد"


@pytest.fixture
def certificate(sample_app, make_user):
    user = make_user("guard", full_name="Layla Abu Zeid", full_name_ar=ARABIC_NAME, country="JO",
                     agency="Border Police")
    return complete(sample_app, user)


@pytest.fixture
def visitor(sample_app):
    from .conftest import Browser

    return Browser(sample_app.test_client())


def qr_of(certificate):
    return signing.qr_url(services.record_of(certificate), "http://trainer.test", services.deployment_keys())


def test_the_page_shows_status_name_module_and_dates_and_nothing_more(visitor, certificate):
    page = visitor.get(f"/verify/{certificate.serial}")
    assert page.status_code == 200
    text = html_text(page)
    assert "Valid" in text and "Layla Abu Zeid" in text and ARABIC_NAME in text and "Sample module" in text
    for date in (certificate.completed_on, certificate.issued_on, certificate.expires_on):
        assert f'datetime="{date.isoformat()}"' in page.get_data(as_text=True)
    for private in ("guard", "Border Police", "Jordan", "100"):  # username, agency, country, score
        assert private not in text
    html = page.get_data(as_text=True)
    assert "<bdi class=\"person\">Layla Abu Zeid</bdi>" in html and 'lang="ar" dir="rtl">' + ARABIC_NAME in html
    assert "<script" not in html and "http" not in re.sub(r'href="/[^"]*"', "", html.split("<body>")[1])


@pytest.mark.parametrize("typed", ["lower", "spaces", "o-for-zero", "compact"])
def test_a_serial_typed_loosely_is_still_found(visitor, certificate, typed):
    serial = certificate.serial
    variants = {"lower": serial.lower(), "spaces": " ".join(serial.split("-")), "o-for-zero": serial.replace("0", "O"),
                "compact": serial.replace("-", "").lower()}
    page = visitor.get(f"/verify/{variants[typed]}")
    assert page.status_code == 200 and serial in html_text(page)
    form = visitor.get("/verify", query_string={"serial": variants[typed]})
    assert form.status_code == 302 and form.headers["Location"] == f"/verify/{serial}"


def test_an_unknown_serial_gets_a_clear_404_page(visitor, certificate):
    from trainer.certificates.serial import check_symbol

    unknown = "7K3MQ9XD2HTF8WR"
    unknown = unknown + check_symbol(unknown)
    page = visitor.get(f"/verify/{unknown}")
    assert page.status_code == 404
    assert "No certificate with the serial number" in html_text(page)
    typo = certificate.serial[:-1] + ("A" if certificate.serial[-1] != "A" else "B")
    page = visitor.get(f"/verify/{typo}")
    assert page.status_code == 404 and "typing mistake" in html_text(page)
    page = visitor.get("/verify/not-a-serial")
    assert page.status_code == 404 and "is not a serial number" in html_text(page)
    form = visitor.get("/verify", query_string={"serial": typo})
    assert form.status_code == 200 and "typing mistake" in html_text(form)


def test_the_qr_payload_is_checked_against_its_signature_and_the_record(visitor, certificate, make_user, sample_app):
    url = qr_of(certificate)
    good = html_text(visitor.get(path_of(url)))
    assert "The signature in this QR code is valid, and the details it carries match" in good
    token = url.split("?c=")[1]
    forged = token[:-8] + ("A" if token[-8] != "A" else "B") + token[-7:]
    bad = visitor.get(f"/verify/{certificate.serial}?c={forged}")
    assert bad.status_code == 200 and "The signature in this QR code is not valid" in html_text(bad)
    assert "Valid" in html_text(bad)  # the register's status is still shown
    # a genuine code of another certificate, put behind this serial, is refused as well
    other = complete(sample_app, make_user("other", full_name="Other Guard", country="JO"))
    borrowed = qr_of(other).split("?c=")[1]
    assert "not valid" in html_text(visitor.get(f"/verify/{certificate.serial}?c={borrowed}"))


def test_a_qr_code_whose_details_differ_from_the_register_is_flagged(visitor, certificate):
    url = qr_of(certificate)
    certificate.full_name = "Someone Else"  # the register changed behind the signed record
    db.session.commit()
    text = html_text(visitor.get(path_of(url)))
    assert "do not match the register" in text


def test_the_verify_page_reflects_a_revocation_at_once(visitor, certificate):
    assert "Valid" in html_text(visitor.get(f"/verify/{certificate.serial}"))
    services.revoke(certificate, None, "Completed by another person")
    text = html_text(visitor.get(f"/verify/{certificate.serial}"))
    assert "Revoked" in text and "Completed by another person" in text


def test_uploading_the_issued_pdf_says_genuine(visitor, certificate):
    pdf = services.pdf_of(certificate)
    visitor.get("/verify")
    page = visitor.post("/verify", {"pdf": (__import__("io").BytesIO(pdf), "certificate.pdf")},
                        content_type="multipart/form-data")
    text = html_text(page)
    assert page.status_code == 200 and "Genuine file" in text and "Layla Abu Zeid" in text and "Valid" in text


def test_uploading_a_byte_altered_pdf_says_not_genuine(visitor, certificate):
    import io

    pdf = bytearray(services.pdf_of(certificate))
    pdf[len(pdf) // 3] ^= 0x20
    visitor.get("/verify")
    page = visitor.post("/verify", {"pdf": (io.BytesIO(bytes(pdf)), "certificate.pdf")},
                        content_type="multipart/form-data")
    text = html_text(page)
    assert page.status_code == 200 and "Not genuine" in text and "Genuine file" not in text
    junk = visitor.post("/verify", {"pdf": (io.BytesIO(b"hello"), "x.pdf")}, content_type="multipart/form-data")
    assert "Not genuine" in html_text(junk) and "not a readable PDF" in html_text(junk)
    empty = visitor.post("/verify", {}, content_type="multipart/form-data")
    assert empty.status_code == 200 and "Choose the PDF file" in html_text(empty)


def test_an_upload_larger_than_the_limit_gets_a_413_page(visitor, certificate):
    import io

    visitor.get("/verify")
    page = visitor.post("/verify", {"pdf": (io.BytesIO(b"0" * (6 * 1024 * 1024)), "big.pdf")},
                        content_type="multipart/form-data")
    assert page.status_code == 413 and "File too large" in html_text(page)


@pytest.mark.parametrize("lang,direction,heading", [("ar", "rtl", None), ("en", "ltr", "Certificate verification"),
                                                     ("fr", "ltr", None)])
def test_the_verify_pages_speak_three_languages(visitor, certificate, lang, direction, heading):
    for url in (f"/verify/{certificate.serial}", "/verify", "/verify/offline", "/verify/AAAA"):
        html = visitor.get(f"{url}?lang={lang}").get_data(as_text=True)
        assert f'<html lang="{lang}" dir="{direction}">' in html, url
    page = visitor.get(f"/verify/{certificate.serial}?lang={lang}")
    title = {"ar": "وحدة تجريبية", "en": "Sample module", "fr": "Module d'essai"}[lang]
    assert title in html_text(page)
    if heading:
        assert heading in html_text(page)


def test_the_public_keys_are_served_at_stable_addresses(visitor, certificate):
    keys = services.deployment_keys()
    key = visitor.get("/verify/public-key.pem")
    assert key.status_code == 200 and key.get_data(as_text=True) == signing.public_key_pem(keys)
    assert "public" in key.headers["Cache-Control"]
    cert = visitor.get("/verify/signing-certificate.pem")
    assert cert.get_data(as_text=True) == signing.certificate_pem(keys)
    ok, fields = signing.verify_qr(qr_of(certificate), key.get_data())
    assert ok and fields["serial"] == certificate.serial


def test_the_documented_offline_check_verifies_a_qr_code(visitor, certificate, tmp_path):
    page = visitor.get("/verify/offline")
    script = visitor.get("/verify/check_certificate.py").get_data(as_text=True)
    assert page.status_code == 200 and "cryptography" in script
    assert html_text(page).count("def check(public_key_pem, qr_text)") == 1
    docs = (REPO / "docs" / "certificates.md").read_text(encoding="utf-8")
    documented = re.search(r"```python\n(.*?)```", docs, re.S).group(1)
    assert documented == script  # the docs show exactly the script the page serves
    (tmp_path / "check_certificate.py").write_text(script, encoding="utf-8")
    (tmp_path / "public-key.pem").write_bytes(visitor.get("/verify/public-key.pem").data)
    url = qr_of(certificate)

    def run(text):
        return subprocess.run([sys.executable, "check_certificate.py", "public-key.pem", text], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    good = run(url)
    assert good.returncode == 0 and "GENUINE" in good.stdout and ARABIC_NAME in good.stdout
    assert certificate.serial.replace("-", "") in good.stdout
    token = url.split("?c=")[1]
    bad = run(url.replace(token, token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]))
    assert bad.returncode == 1 and "NOT GENUINE" in bad.stdout


# --- the rate limit: run in separate processes, each with its own app (as gunicorn workers are) ---

VISITS = """
import json, sys
from trainer import create_app
settings = json.loads(sys.argv[1])
app = create_app("testing", settings)
client = app.test_client()
print(json.dumps([client.get(sys.argv[2]).status_code for _ in range(int(sys.argv[3]))]))
"""


def visits(settings, url, count):
    """Status codes of `count` visits to `url` made by a fresh app process with `settings`."""
    result = subprocess.run([sys.executable, "-c", VISITS, json.dumps(settings), url, str(count)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def process_settings(sample_app, certificate):
    db.session.commit()
    return {"SQLALCHEMY_DATABASE_URI": sample_app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""),
            "INSTANCE_DIR": sample_app.config["INSTANCE_DIR"], "CONTENT_ROOT": sample_app.config["CONTENT_ROOT"],
            "RATELIMIT_ENABLED": True, "VERIFY_RATE_LIMIT": "5 per minute",
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}


def test_the_verify_page_is_rate_limited(process_settings, certificate):
    codes = visits({**process_settings, "RATELIMIT_STORAGE_URI": "memory://"}, f"/verify/{certificate.serial}", 7)
    assert codes == [200] * 5 + [429] * 2


def redis_url():
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(redis_url(), socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"Redis is not reachable at {redis_url()} and REQUIRE_REDIS is set: {exc}")
        pytest.skip(f"Redis is not reachable at {redis_url()}")
    yield client
    client.close()


def test_with_redis_two_app_processes_share_one_limit(process_settings, certificate, redis_client):
    url = f"/verify/{certificate.serial}"
    shared = {**process_settings, "RATELIMIT_STORAGE_URI": redis_url()}
    try:
        assert visits(shared, url, 3) == [200, 200, 200]
        assert visits(shared, url, 3) == [200, 200, 429]  # the second process sees the first one's visits
        assert redis_client.keys("*" + shared["RATELIMIT_KEY_PREFIX"] + "*")
    finally:
        for key in redis_client.scan_iter("*" + shared["RATELIMIT_KEY_PREFIX"] + "*"):
            redis_client.delete(key)
    # without a shared store each process counts alone: this is what REDIS_URL changes
    alone = {**process_settings, "RATELIMIT_STORAGE_URI": "memory://"}
    assert visits(alone, url, 3) == visits(alone, url, 3) == [200, 200, 200]


def test_redis_url_sets_the_shared_rate_limit_store():
    from config import Config

    assert Config.from_environment({"REDIS_URL": redis_url()})["RATELIMIT_STORAGE_URI"] == redis_url()
