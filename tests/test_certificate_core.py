"""Tests of the pure certificate core: serials, records, templates, rendering and both signatures (no app)."""
import datetime
import io
import itertools
import os
import stat
import sys
import unicodedata

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:  # plain `pytest tests/...` puts only tests/ on the path
    sys.path.insert(0, REPO)

from trainer.certificates import signing  # noqa: E402
from trainer.certificates.record import CertificateRecord, parse_canonical  # noqa: E402
from trainer.certificates.render import PAGE_HEIGHT, PAGE_WIDTH, render_pdf  # noqa: E402
from trainer.certificates.serial import (  # noqa: E402
    ALPHABET, check_symbol, is_valid_serial, new_serial, normalise_serial,
)
from trainer.certificates.template import TemplateError, check_template, load_template  # noqa: E402

DEFAULT_TEMPLATE = os.path.join(REPO, "certificates", "default.yaml")
BASE_URL = "https://trainer.example.org"
ARABIC_NAME = "محمد عبد الرحمن الهاشمي"
LONG_LATIN = ("Abdulrahman Mohammed Saleh Al-Hashimi Bin Khalid Al-Qurashi Ibn Abdullah Al-Mansouri "
              "Al-Tamimi Al-Harbi Al-Zahrani Al-Ghamdi Al-Otaibi")[:120]
LONG_ARABIC = "عبد الرحمن محمد صالح الهاشمي بن خالد القرشي بن عبد الله المنصوري التميمي الحربي الزهراني الغامدي العتيبي"
FRAME_INSET = 25  # the inner frame line; text must stay inside it


@pytest.fixture(scope="module")
def template():
    return load_template(DEFAULT_TEMPLATE)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return signing.load_keys(tmp_path_factory.mktemp("keys"))


def make_record(**overrides):
    values = dict(
        serial=new_serial(), full_name="Mohammed Abdulrahman Al-Hashimi", full_name_ar=ARABIC_NAME,
        module_id="rights-at-borders", module_version=3,
        module_title={"en": "Rights at borders: the essentials", "ar": "الحقوق على الحدود: الأساسيات",
                      "fr": "Les droits aux frontières : l’essentiel"},
        second_language="en", completed_on=datetime.date(2025, 3, 12), issued_on=datetime.date(2025, 3, 12),
        expires_on=datetime.date(2028, 3, 12), score=92.5,
    )
    values.update(overrides)
    return CertificateRecord(**values)


def issue(record, template, keys):
    """Render and sign, as the app does at issuance; returns (signed pdf, verify url)."""
    url = signing.qr_url(record, BASE_URL, keys)
    return signing.sign_pdf(render_pdf(record, template, url), keys), url


def page_image(pdf, dpi):
    page = pdfium.PdfDocument(pdf)[0]
    return page.render(scale=dpi / 72).to_pil()


def text_boxes(pdf):
    """(box, text) for every text run pdfium finds; boxes are (left, bottom, right, top) in points."""
    page = pdfium.PdfDocument(pdf)[0]
    text_page = page.get_textpage()
    boxes = []
    for i in range(text_page.count_rects()):
        box = text_page.get_rect(i)
        boxes.append((box, text_page.get_text_bounded(*box)))
    return boxes


def overlaps(a, b, tolerance=0.5):
    return (min(a[2], b[2]) - max(a[0], b[0]) > tolerance) and (min(a[3], b[3]) - max(a[1], b[1]) > tolerance)


# --- serials ---

def test_new_serial_is_four_groups_of_crockford_symbols_and_valid():
    serials = {new_serial() for _ in range(500)}
    assert len(serials) == 500
    for serial in serials:
        groups = serial.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert all(symbol in ALPHABET for symbol in "".join(groups))
        assert is_valid_serial(serial)


def test_serial_symbols_are_random_in_every_position():
    # 15 random symbols of 5 bits = 75 bits; a counter or a clock would leave positions nearly constant
    serials = [new_serial().replace("-", "") for _ in range(400)]
    for position in range(15):
        assert len({s[position] for s in serials}) >= 25


def test_check_symbol_catches_every_single_typo():
    serial = new_serial().replace("-", "")
    for position, symbol in itertools.product(range(len(serial)), ALPHABET):
        if symbol != serial[position]:
            typo = serial[:position] + symbol + serial[position + 1:]
            assert not is_valid_serial(typo), typo


def test_check_symbol_catches_most_swapped_neighbours():
    caught = total = 0
    for _ in range(200):
        serial = new_serial().replace("-", "")
        for i in range(len(serial) - 1):
            if serial[i] != serial[i + 1]:
                swapped = serial[:i] + serial[i + 1] + serial[i] + serial[i + 2:]
                total += 1
                caught += not is_valid_serial(swapped)
    assert caught / total > 0.95


def test_normalise_serial_accepts_what_people_type():
    serial = new_serial()
    typed = serial.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalise_serial(typed) == serial
    assert normalise_serial(" " + serial.replace("-", "") + " ") == serial
    assert normalise_serial(serial.replace("1", "I")) == serial
    assert is_valid_serial(typed)
    assert normalise_serial("ABCD-EFGH") is None
    assert normalise_serial("UUUU-UUUU-UUUU-UUUU") is None  # U is not a Crockford symbol
    assert not is_valid_serial(None)


# --- the record ---

def test_canonical_bytes_are_the_documented_format():
    data = "7K3MQ9XD2HTF8WR"
    record = make_record(serial=data + check_symbol(data), full_name="  Fatima   Zahra\tBenali ",
                         full_name_ar="فاطمة الزهراء")
    assert record.serial == f"7K3M-Q9XD-2HTF-8WR{check_symbol(data)}"
    expected = ("TC1\n" + data + check_symbol(data) + "\nFatima Zahra Benali\nفاطمة الزهراء\nrights-at-borders\n3\n"
                "20250312\n20250312\n20280312").encode("utf-8")
    assert record.canonical_bytes() == expected
    assert parse_canonical(expected) == record.signed_fields()


def test_record_refuses_values_it_cannot_sign_faithfully():
    serial = new_serial()
    wrong_check = serial[:-1] + next(s for s in ALPHABET if s != serial[-1])
    with pytest.raises(ValueError):
        make_record(serial=wrong_check)
    with pytest.raises(ValueError):
        make_record(completed_on=datetime.datetime(2025, 3, 12, 10, 0))
    with pytest.raises(ValueError):
        make_record(second_language="ar")
    with pytest.raises(ValueError):
        make_record(full_name="Ali\x00Hassan")
    assert make_record(full_name_ar="  ").full_name_ar is None
    assert make_record(full_name="Ali\u202eHassan").full_name == "AliHassan"


# --- templates ---

def test_default_template_loads_with_all_wording(template):
    assert check_template(DEFAULT_TEMPLATE)[1] == []
    for lang in ("ar", "en", "fr"):
        assert all(template.word(lang, key) for key in template.wording[lang])
        assert len(template.months[lang]) == 12
    assert "United Nations" not in str(template.organisation)


def test_broken_template_problems_carry_path_and_line(tmp_path):
    text = open(DEFAULT_TEMPLATE, encoding="utf-8").read()
    text = text.replace('primary: "#1F3A5F"', 'primary: "navy"')
    text = text.replace("    heading: Certificate of Completion\n", "")
    text = text.replace("# logo: logo.png", "logo: missing.png")
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    colour_line = next(i for i, line in enumerate(lines, 1) if '"navy"' in line)
    logo_line = next(i for i, line in enumerate(lines, 1) if line.startswith("logo:"))
    english_line = next(i for i, line in enumerate(lines, 1) if line == "  en:" and i > 20)
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    messages = [str(p) for p in caught.value.problems]
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    assert f"{shown}:{colour_line}: colour 'primary' must be a hex colour" in "\n".join(messages)
    assert any(m.startswith(f"{shown}:{logo_line}: logo file not found") for m in messages)
    assert any(m.startswith(f"{shown}:{english_line}: missing required field 'wording.en.heading'") for m in messages)


def test_invalid_yaml_is_reported_at_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("organisation:\n  en: Fine\n  ar: [unclosed\n", encoding="utf-8")
    template, problems = check_template(path)
    assert template is None
    assert len(problems) == 1 and problems[0].line >= 3 and "invalid YAML" in problems[0].message


# --- rendering ---

def test_arabic_name_is_printed_shaped_and_extractable(template, keys):
    pdf, _ = issue(make_record(), template, keys)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # shaped Arabic uses contextual presentation forms; unshaped letters or "?" would have none
    meem_medial, heh_medial = "\ufee4", "\ufeec"
    assert meem_medial in text and heh_medial in text
    assert "?" not in text
    wanted = unicodedata.normalize("NFKC", ARABIC_NAME)
    found = [unicodedata.normalize("NFKC", candidate) for line in text.splitlines()
             for candidate in (line, line[::-1])]
    assert any(wanted in candidate for candidate in found)


def test_qr_decodes_at_150_dpi_and_its_signature_checks_out(template, keys):
    record = make_record()
    pdf, url = issue(record, template, keys)
    results = zxingcpp.read_barcodes(page_image(pdf, 150))
    assert [r.text for r in results] == [url]
    assert url.startswith(f"{BASE_URL}/verify/{record.serial}?c=")
    ok, fields = signing.verify_qr(results[0].text, signing.public_key_pem(keys))
    assert ok and fields == record.signed_fields()
    ok, fields = signing.verify_qr("?" + url.split("?", 1)[1], keys.qr_public_key)
    assert ok and fields["full_name_ar"] == ARABIC_NAME


def test_qr_of_a_long_record_still_decodes_at_150_dpi(template, keys):
    record = make_record(full_name=LONG_LATIN, full_name_ar=LONG_ARABIC, module_id="child-sensitive-borders")
    pdf, url = issue(record, template, keys)
    assert [r.text for r in zxingcpp.read_barcodes(page_image(pdf, 150))] == [url]


def test_verify_qr_rejects_changed_records_and_other_keys(keys, tmp_path):
    record = make_record()
    url = signing.qr_url(record, BASE_URL, keys)
    head, token = url.split("?c=")
    position = 120  # inside the record, after the 64-byte signature
    changed = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1:]
    assert signing.verify_qr(f"{head}?c={changed}", keys) == (False, None)
    other = make_record()
    assert signing.verify_qr(url.replace(record.serial, other.serial, 1), keys) == (False, None)
    assert signing.verify_qr(url, signing.load_keys(tmp_path / "other")) == (False, None)
    assert signing.verify_qr(f"{BASE_URL}/verify/{record.serial}", keys) == (False, None)
    assert signing.verify_qr(url, keys)[0]


def test_long_names_shrink_or_wrap_and_overlap_nothing(template, keys):
    short_pdf, _ = issue(make_record(), template, keys)
    long_pdf, url = issue(make_record(full_name=LONG_LATIN, full_name_ar=LONG_ARABIC, second_language="fr"),
                          template, keys)
    boxes = text_boxes(long_pdf)
    for box, text in boxes:
        assert FRAME_INSET < box[0] and box[2] < PAGE_WIDTH - FRAME_INSET, text
        assert FRAME_INSET < box[1] and box[3] < PAGE_HEIGHT - FRAME_INSET, text
    for (a, text_a), (b, text_b) in itertools.combinations(boxes, 2):
        assert not overlaps(a, b), (text_a, text_b)
    qr = zxingcpp.read_barcodes(page_image(long_pdf, 150))[0].position
    scale = 72 / 150
    qr_box = (qr.top_left.x * scale, PAGE_HEIGHT - qr.bottom_left.y * scale,
              qr.top_right.x * scale, PAGE_HEIGHT - qr.top_left.y * scale)
    assert not any(overlaps(qr_box, box) for box, _ in boxes)
    # the long name is set smaller than the short one, on more than one line
    assert _name_height(long_pdf, "Abdulrahman") < _name_height(short_pdf, "Mohammed")
    first = next(box for box, text in boxes if text.startswith("Abdulrahman Mohammed"))
    last = next(box for box, text in boxes if "Al-Zahrani" in text)
    assert last[3] <= first[1]  # wrapped: the end of the name is on a line below its start


def _name_height(pdf, first_word):
    return max(box[3] - box[1] for box, text in text_boxes(pdf) if text.startswith(first_word))


def test_certificate_without_arabic_name_and_with_french_renders(template, keys):
    record = make_record(full_name_ar=None, second_language="fr", score=None)
    pdf, _ = issue(record, template, keys)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Certificat de réussite".upper().replace(" ", "") in text.replace(" ", "")
    assert record.serial in text
    assert "Résultat" not in text  # no score, no score cell


# --- the PDF signature ---

def test_signed_certificate_is_genuine_and_names_its_serial(template, keys):
    record = make_record()
    pdf, _ = issue(record, template, keys)
    result = signing.verify_pdf(pdf, keys)
    assert result.genuine, result.reason
    assert result.serial == record.serial


def test_a_changed_byte_is_detected(template, keys):
    record = make_record()
    pdf, _ = issue(record, template, keys)
    at = pdf.index(b"certificate-serial:") + len("certificate-serial:")  # the first revision's document info
    altered = pdf[:at] + (b"Z" if pdf[at:at + 1] != b"Z" else b"Y") + pdf[at + 1:]
    result = signing.verify_pdf(altered, keys)
    assert not result.genuine and "altered" in result.reason


def test_an_appended_incremental_update_is_detected(template, keys):
    pdf, _ = issue(make_record(), template, keys)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 30 Tf 100 300 Td (Someone Else) Tj ET")
    page["/Contents"] = generic.ArrayObject([page["/Contents"], writer.add_object(stream)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    updated = out.getvalue()
    assert len(updated) > len(pdf) and updated.startswith(pdf)
    result = signing.verify_pdf(updated, keys)
    assert not result.genuine and "added" in result.reason
    result = signing.verify_pdf(pdf + b"\n%%junk\n", keys)
    assert not result.genuine and "added" in result.reason


def test_another_deployments_signature_is_not_genuine(template, keys, tmp_path):
    other = signing.load_keys(tmp_path / "other-deployment", organisation="Someone Else")
    record = make_record()
    pdf = signing.sign_pdf(render_pdf(record, template, signing.qr_url(record, BASE_URL, other)), other)
    assert signing.verify_pdf(pdf, other).genuine
    result = signing.verify_pdf(pdf, keys)
    assert not result.genuine and "not this deployment" in result.reason
    assert result.serial == record.serial


def test_unsigned_and_non_pdf_files_are_not_genuine(template, keys):
    record = make_record()
    unsigned = render_pdf(record, template, signing.qr_url(record, BASE_URL, keys))
    result = signing.verify_pdf(unsigned, keys)
    assert not result.genuine and "no digital signature" in result.reason and result.serial == record.serial
    assert not signing.verify_pdf(b"not a pdf at all", keys).genuine


# --- keys ---

def test_init_keys_creates_private_files_0600_and_never_overwrites(tmp_path):
    folder = tmp_path / "keys"
    created = signing.init_keys(folder, "Test Academy")
    assert sorted(created) == sorted([signing.PDF_KEY, signing.PDF_CERT, signing.QR_KEY, signing.QR_PUBLIC])
    for name in (signing.PDF_KEY, signing.QR_KEY):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600
    before = {name: (folder / name).read_bytes() for name in created}
    assert signing.init_keys(folder, "Another Name") == []
    assert {name: (folder / name).read_bytes() for name in created} == before
    assert signing.certificate_pem(signing.load_keys(folder)).startswith("-----BEGIN CERTIFICATE-----")
    keys = signing.load_keys(folder)
    assert keys is signing.load_keys(folder)  # cached: pyHanko objects are built once per folder
    assert "Test Academy" in keys.certificate.subject.rfc4514_string()
    assert signing.public_key_pem(keys).startswith("-----BEGIN PUBLIC KEY-----")


def test_a_lost_private_key_is_not_silently_replaced(tmp_path):
    folder = tmp_path / "keys"
    signing.init_keys(folder)
    (folder / signing.QR_KEY).unlink()
    with pytest.raises(signing.KeysError):
        signing.init_keys(folder)
    assert not (folder / signing.QR_KEY).exists()
