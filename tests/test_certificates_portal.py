"""The national authority's portal: scoped to its country (anything else is a 404), filters, the streamed ZIP with
its manifest, the register as CSV, and the audit rows of bulk downloads."""
import csv
import datetime
import hashlib
import io
import zipfile

import pytest
from sqlalchemy import select, update

from trainer.audit import AuditEvent
from trainer.certificates import services
from trainer.certificates.models import Certificate
from trainer.cohorts.models import Cohort, CohortLearner
from trainer.extensions import db
from trainer.spreadsheets import BOM

from .certificate_helpers import complete, signed_in
from .conftest import html_text

FORMULA_NAME = '=HYPERLINK("x")'


@pytest.fixture
def people(sample_app, make_user):
    """Two Jordanian learners (one named like a formula) and a Tunisian one with certificates; an authority for
    each country; an administrator."""
    jo = make_user("jo-guard", full_name="Omar Haddad", full_name_ar="عمر حداد", country="JO")
    formula = make_user("jo-formula", full_name=FORMULA_NAME, full_name_ar="+عمر", country="JO", agency="@agency")
    tn = make_user("tn-guard", full_name="Sami Trabelsi", full_name_ar="سامي الطرابلسي", country="TN")
    make_user("ministry-jo", role="authority", country="JO")
    make_user("ministry-tn", role="authority", country="TN")
    make_user("boss", role="admin")
    certificates = {name: complete(sample_app, user) for name, user in
                    (("jo", jo), ("formula", formula), ("tn", tn))}
    return {"users": {"jo": jo, "formula": formula, "tn": tn}, "certificates": certificates}


def read_zip(response):
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.testzip() is None
    return archive


def manifest_rows(archive):
    raw = archive.read("manifest.csv").decode("utf-8")
    assert raw.startswith(BOM)
    return list(csv.DictReader(io.StringIO(raw[len(BOM):])))


# --- scope ---

def test_an_authority_sees_only_its_countrys_certificates(sample_app, people):
    jo, tn = people["certificates"]["jo"], people["certificates"]["tn"]
    browser = signed_in(sample_app, "ministry-jo")
    page = html_text(browser.get("/authority/certificates"))
    assert jo.serial in page and "Omar Haddad" in page
    assert tn.serial not in page and "Sami Trabelsi" not in page
    assert tn.serial not in html_text(browser.get("/authority/certificates", query_string={"q": tn.serial}))
    assert browser.get(f"/authority/certificates/{tn.serial}").status_code == 404
    assert browser.get(f"/certificates/{tn.serial}.pdf").status_code == 404
    assert browser.post(f"/authority/certificates/{tn.serial}/revoke", {"reason": "x"}).status_code == 404
    db.session.refresh(tn)
    assert tn.status == "valid"
    names = read_zip(browser.get("/authority/certificates.zip")).namelist()
    assert f"{jo.serial}.pdf" in names and f"{tn.serial}.pdf" not in names
    assert browser.get("/authority/certificates.zip", query_string={"country": "TN"}).status_code == 404
    assert browser.get("/authority/certificates.csv", query_string={"country": "TN"}).status_code == 404
    assert tn.serial not in browser.get("/authority/certificates.csv").get_data(as_text=True)
    assert browser.get(f"/certificates/{jo.serial}.pdf").status_code == 200


def test_the_other_authority_sees_the_other_country(sample_app, people):
    browser = signed_in(sample_app, "ministry-tn")
    page = html_text(browser.get("/authority/certificates"))
    assert people["certificates"]["tn"].serial in page and people["certificates"]["jo"].serial not in page
    assert browser.get(f"/certificates/{people['certificates']['jo'].serial}.pdf").status_code == 404


def test_an_authority_without_a_country_sees_nothing(sample_app, people, make_user):
    lost = make_user("lost", role="authority", country="JO")
    lost.country = None  # e.g. cleared by mistake
    db.session.commit()
    browser = signed_in(sample_app, "lost")
    page = html_text(browser.get("/authority/certificates"))
    assert "Your account has no country" in page and people["certificates"]["jo"].serial not in page
    assert read_zip(browser.get("/authority/certificates.zip")).namelist() == ["manifest.csv"]


def test_administrators_see_every_country_and_filter_by_one(sample_app, people):
    browser = signed_in(sample_app, "boss")
    page = html_text(browser.get("/authority/certificates"))
    assert all(c.serial in page for c in people["certificates"].values())
    only_tn = html_text(browser.get("/authority/certificates", query_string={"country": "TN"}))
    assert people["certificates"]["tn"].serial in only_tn and people["certificates"]["jo"].serial not in only_tn
    names = read_zip(browser.get("/authority/certificates.zip", query_string={"country": "JO"})).namelist()
    assert len(names) == 3 and f"{people['certificates']['tn'].serial}.pdf" not in names


def test_learners_and_trainers_may_not_open_the_portal(sample_app, people, make_user):
    make_user("coach", role="trainer", country="JO")
    for username in ("jo-guard", "coach"):
        browser = signed_in(sample_app, username)
        for url in ("/authority/certificates", "/authority/certificates.zip", "/authority/certificates.csv"):
            assert browser.get(url).status_code == 403, (username, url)
    assert sample_app.test_client().get("/authority/certificates.zip").status_code == 302  # to sign in


# --- the ZIP and the register ---

def test_the_zip_holds_every_pdf_stored_and_a_manifest_with_their_hashes(sample_app, people):
    browser = signed_in(sample_app, "ministry-jo")
    response = browser.get("/authority/certificates.zip")
    assert "Content-Length" not in response.headers  # streamed as it is written
    assert "attachment" in response.headers["Content-Disposition"]
    archive = read_zip(response)
    rows = manifest_rows(archive)
    assert sorted(archive.namelist()) == sorted([r["file"] for r in rows] + ["manifest.csv"])
    assert len(rows) == 2
    for row in rows:
        info = archive.getinfo(row["file"])
        assert info.compress_type == zipfile.ZIP_STORED
        data = archive.read(row["file"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        stored = db.session.scalar(select(Certificate).where(Certificate.serial == row["serial"]))
        assert data == services.pdf_of(stored) and row["file"] == f"{stored.serial}.pdf"
        assert row["status"] == "valid" and row["module_id"] == "sample" and row["country"] == "JO"
        assert row["issued_on"] == stored.issued_on.isoformat() and row["expires_on"] == stored.expires_on.isoformat()
    by_serial = {r["serial"]: r for r in rows}
    formula = by_serial[people["certificates"]["formula"].serial]
    assert formula["full_name"] == "'" + FORMULA_NAME  # inert: Excel shows the text, never runs it
    assert formula["full_name_ar"] == "'+عمر" and formula["agency"] == "'@agency"
    assert by_serial[people["certificates"]["jo"].serial]["full_name_ar"] == "عمر حداد"


def test_the_register_has_the_manifests_rows(sample_app, people):
    browser = signed_in(sample_app, "ministry-jo")
    register = browser.get("/authority/certificates.csv")
    assert register.status_code == 200 and register.mimetype == "text/csv"
    text = register.get_data(as_text=True)
    assert text.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(text[len(BOM):])))
    manifest = manifest_rows(read_zip(browser.get("/authority/certificates.zip")))
    assert rows == [{k: v for k, v in r.items() if k != "file"} for r in manifest]
    assert "=HYPERLINK" not in [line.split(",")[1] for line in text.splitlines()[1:]]


def test_bulk_downloads_are_audited_with_their_filters(sample_app, people):
    browser = signed_in(sample_app, "ministry-jo")
    browser.get("/authority/certificates.zip", query_string={"status": "valid", "module": "sample"}).get_data()
    browser.get("/authority/certificates.csv").get_data()
    zip_row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificates_zip_downloaded"))
    assert zip_row.details == {"count": 2, "status": "valid", "module": "sample"}
    assert zip_row.actor_id == db.session.scalar(select(AuditEvent.actor_id).where(
        AuditEvent.action == "sign_in").order_by(AuditEvent.id.desc()).limit(1))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificates_register_downloaded"))


# --- filters ---

def test_filters_by_status_module_issue_date_and_cohort(sample_app, people):
    certificates = people["certificates"]
    services.revoke(certificates["formula"], None, "Duplicate account")
    browser = signed_in(sample_app, "ministry-jo")

    def listed(**args):
        return {c.serial for c in certificates.values()
                if c.serial in html_text(browser.get("/authority/certificates", query_string=args))}

    jo, formula = certificates["jo"].serial, certificates["formula"].serial
    assert listed() == {jo, formula}
    assert listed(status="valid") == {jo}
    assert listed(status="revoked") == {formula}
    assert listed(status="expired") == set()
    assert listed(module="sample") == {jo, formula} and listed(module="other") == set()
    today = datetime.date.today()
    db.session.execute(update(Certificate).where(Certificate.serial == jo)
                       .values(issued_on=today - datetime.timedelta(days=30)))
    db.session.commit()
    assert listed(issued_from=(today - datetime.timedelta(days=1)).isoformat()) == {formula}
    assert listed(issued_to=(today - datetime.timedelta(days=7)).isoformat()) == {jo}
    assert listed(q="haddad") == {jo} and listed(q=formula.lower()) == {formula}
    cohort = Cohort(name="Aqaba 2026", country="JO")
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortLearner(cohort_id=cohort.id, user_id=people["users"]["jo"].id))
    db.session.commit()
    page = browser.get("/authority/certificates").get_data(as_text=True)
    assert "Aqaba 2026" in page  # offered: it holds a learner of this country
    assert listed(cohort=str(cohort.id)) == {jo}
    names = read_zip(browser.get("/authority/certificates.zip", query_string={"cohort": cohort.id})).namelist()
    assert names == [f"{jo}.pdf", "manifest.csv"]


def test_wrong_filters_are_explained_and_never_widen_a_download(sample_app, people):
    browser = signed_in(sample_app, "ministry-jo")
    page = browser.get("/authority/certificates", query_string={"issued_from": "2026-13-45"})
    assert page.status_code == 200 and "Correct the filters" in html_text(page)
    assert browser.get("/authority/certificates.zip", query_string={"issued_from": "yesterday"}).status_code == 400
    reversed_dates = {"issued_from": "2026-05-01", "issued_to": "2026-04-01"}
    assert "The end date is before the start date" in html_text(
        browser.get("/authority/certificates", query_string=reversed_dates))


def test_the_list_is_paged(make_app, _schema, tmp_path, make_user):
    from .conftest import _empty_tables, sample_tree

    app = make_app(CONTENT_ROOT=str(sample_tree(tmp_path)), PAGE_SIZE=2)
    with app.app_context():
        try:
            for i in range(5):
                complete(app, make_user(f"guard{i}", full_name=f"Guard {i}", country="JO"))
            make_user("ministry", role="authority", country="JO")
            browser = signed_in(app, "ministry")
            first = html_text(browser.get("/authority/certificates"))
            assert "Page 1 of 3" in first and "5 certificates match" in first
            last = browser.get("/authority/certificates", query_string={"page": 3}).get_data(as_text=True)
            assert last.count('class="serial" href="/authority/certificates/') == 1
            assert len(read_zip(browser.get("/authority/certificates.zip")).namelist()) == 6  # not only one page
        finally:
            _empty_tables()


def test_the_portal_works_in_arabic(sample_app, people):
    browser = signed_in(sample_app, "ministry-jo")
    html = browser.get("/authority/certificates?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html and "وحدة تجريبية" in html
    assert '<bdi lang="ar" dir="rtl">عمر حداد</bdi>' in html
    detail = browser.get(f"/authority/certificates/{people['certificates']['jo'].serial}")
    assert detail.status_code == 200 and '<html lang="ar" dir="rtl">' in detail.get_data(as_text=True)


def test_the_zip_writer_yields_one_chunk_per_member_and_keeps_nothing():
    from trainer.certificates.zipstream import zip_chunks

    members = [(f"{i}.pdf", bytes([i]) * 50_000, datetime.date(2026, 3, i + 1)) for i in range(5)]
    chunks = zip_chunks(iter(members))
    sizes = [len(next(chunks)) for _ in members]
    assert all(50_000 < size < 50_200 for size in sizes)  # the member and its headers, nothing held back
    archive = zipfile.ZipFile(io.BytesIO(b"".join(zip_chunks(iter(members)))))
    assert [i.filename for i in archive.infolist()] == [m[0] for m in members]
    assert archive.read("3.pdf") == bytes([3]) * 50_000
    assert archive.getinfo("0.pdf").date_time == (2026, 3, 1, 0, 0, 0)
