"""Rendering a certificate as an unsigned one-page PDF (A4 landscape) with reportlab.

Bilingual: Arabic with English or with French, as the learner chose. Arabic is shaped with arabic-reshaper and
put in visual order with python-bidi, one line at a time: text is wrapped in logical order (measuring the shaped
result), then each line is reshaped and reordered. Fonts are Amiri (OFL) from the fontpkg-amiri package, which
covers Arabic and Latin, so no system font is needed. Long names shrink, then wrap; nothing leaves its box.
"""
import functools
import io
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import arabic_reshaper
import fontpkg_amiri
import qrcode
from bidi import get_display
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 56  # content keeps this far from the page edge; the frame sits between
CENTRE = PAGE_WIDTH / 2
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

REGULAR, BOLD, ITALIC = "Amiri", "Amiri-Bold", "Amiri-Italic"
_FONT_FILES = {REGULAR: "Amiri-Regular.ttf", BOLD: "Amiri-Bold.ttf", ITALIC: "Amiri-Italic.ttf"}
_fonts_lock = threading.Lock()
_fonts_ready = False

_RTL_CHARS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
# Harakat are dropped: reportlab cannot place combining marks, and unvocalised text is the norm on documents.
_RESHAPER = arabic_reshaper.ArabicReshaper({"delete_harakat": True, "support_ligatures": True})

_PAIR_HEIGHT = 22  # one bilingual line such as "This certificate is awarded to"
_MIN_BODY_SPACE = 30  # air left around the names and the title before they are made smaller
QR_MODULE = 1.5  # points per QR module: 3 device pixels at 150 dpi, so a print or a scan decodes reliably
QR_MAX_SIZE = 140
QR_QUIET = 4  # modules of white around the code, as the QR standard asks
_logo_cache = {}


def render_pdf(record, template, verify_url):
    """The certificate for `record` as unsigned PDF bytes; the QR code encodes `verify_url`."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = rl_canvas.Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
    second = record.second_language
    canvas.setTitle(f"{template.word(second, 'heading')} – {record.serial}")
    canvas.setAuthor(record.organisation or template.organisation[second])
    canvas.setSubject(record.title(second))
    canvas.setKeywords(f"certificate-serial:{record.serial}")  # verify_pdf reads the serial back from here
    canvas.setCreator("trainer")
    page = _Page(canvas, record, template)
    page.frame()
    header_bottom = page.header()
    footer_top = page.footer(verify_url)
    page.body(header_bottom, footer_top)  # last: it takes whatever room the header and footer leave
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def register_fonts():
    """Register the Amiri fonts with reportlab, once per process."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if not _fonts_ready:
            folder = fontpkg_amiri.ROOT / "files"
            for name, file in _FONT_FILES.items():
                pdfmetrics.registerFont(TTFont(name, str(folder / file)))
            _fonts_ready = True


# --- text: shaping, measuring, wrapping ---

def is_rtl(text):
    """True when `text` holds Arabic (or other right-to-left) letters."""
    return bool(_RTL_CHARS.search(text))


@functools.lru_cache(maxsize=4096)  # template wording repeats on every certificate; shaping is slow-ish
def visual(text):
    """`text` shaped and in visual (left-to-right drawing) order, ready for reportlab.

    The line's direction is that of its first strong letter (the Unicode rule), so an Arabic line stays
    right-to-left even when it starts with a date, and a French title with one Arabic word stays left-to-right.
    """
    if not is_rtl(text):
        return text
    return get_display(_RESHAPER.reshape(text))


def text_width(text, font, size, char_space=0.0):
    """Printed width of `text` (shaped) in points."""
    shown = visual(text)
    return pdfmetrics.stringWidth(shown, font, size) + char_space * max(len(shown) - 1, 0)


def wrap(text, font, size, width):
    """Lines of `text` (logical order) that each fit `width`; a word longer than the width is cut."""
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while text_width(current, font, size) > width and len(current) > 1:
            head = _longest_prefix(current, font, size, width)
            lines.append(head)
            current = current[len(head):]
    if current:
        lines.append(current)
    return lines or [""]


def _longest_prefix(word, font, size, width):
    cut = len(word) - 1
    while cut > 1 and text_width(word[:cut], font, size) > width:
        cut -= 1
    return word[:cut]


@dataclass
class _Block:
    """Some lines of one style, centred on the page."""

    lines: list
    font: str
    size: float
    colour: str
    leading: float  # line height as a multiple of the size
    before: float = 0.0  # space above, in points
    char_space: float = 0.0

    @property
    def height(self):
        return self.before + len(self.lines) * self.size * self.leading


def fit(text, font, size, min_size, width, max_lines=2, leading=1.25, colour="text", before=0.0):
    """A block for `text` at the largest size that fits `width`: one line first, then up to `max_lines`."""
    single_floor = max(min_size, size * 0.72)
    step = 0.5
    current = size
    while current >= min_size:
        lines = wrap(text, font, current, width)
        allowed = 1 if current > single_floor else max_lines
        if len(lines) <= allowed:
            return _Block(lines, font, current, colour, leading, before)
        current -= step
    return _Block(wrap(text, font, min_size, width), font, min_size, colour, leading, before)


# --- the page ---

class _Page:
    """Draws the parts of one certificate page: frame, header, body (names, module) and footer."""

    def __init__(self, canvas, record, template):
        self.canvas = canvas
        self.record = record
        self.template = template
        self.second = record.second_language
        self.colours = {role: HexColor(value) for role, value in template.colours.items()}

    def words(self, key):
        """The template's wording for `key`: (in the second language, in Arabic)."""
        return self.template.word(self.second, key), self.template.word("ar", key)

    # --- drawing primitives ---

    def draw(self, text, x, y, font, size, colour="text", align="centre", char_space=0.0):
        """Draw one line (logical order) at baseline `y`; `align` is centre, left or right of `x`."""
        shown = visual(text)
        width = text_width(text, font, size, char_space)
        left = {"centre": x - width / 2, "left": x, "right": x - width}[align]
        self.canvas.setFillColor(self.colours[colour])
        self.canvas.setFont(font, size)
        if char_space:
            self.canvas.drawString(left, y, shown, charSpace=char_space)
        else:
            self.canvas.drawString(left, y, shown)

    def fitted(self, text, x, y, font, size, width, colour="text", align="centre"):
        """Draw one line, made smaller if needed to fit `width`."""
        self.draw(text, x, y, font, _size_to_fit(text, font, size, width), colour, align)

    def block(self, block, top):
        """Draw `block` centred below `top`; return the new top."""
        y = top - block.before
        for line in block.lines:
            y -= block.size * block.leading
            # the baseline sits a third of the size above the bottom of the line box: Amiri's descent is deep
            self.draw(line, CENTRE, y + block.size * 0.32, block.font, block.size, block.colour,
                      char_space=block.char_space)
        return y

    def pair(self, key, baseline, size=12.5, font=ITALIC, colour="muted"):
        """One line in both languages meeting at the centre: Latin ends left of it, Arabic starts right of it."""
        latin, arabic = self.words(key)
        half = CONTENT_WIDTH / 2 - 14
        self.fitted(latin, CENTRE - 12, baseline, font, size, half, colour, align="right")
        self.fitted(arabic, CENTRE + 12, baseline, REGULAR, size + 1, half, colour, align="left")
        self.diamond(CENTRE, baseline + size * 0.3, 2.4)

    def diamond(self, x, y, r):
        path = self.canvas.beginPath()
        path.moveTo(x, y + r)
        path.lineTo(x + r, y)
        path.lineTo(x, y - r)
        path.lineTo(x - r, y)
        path.close()
        self.canvas.setFillColor(self.colours["accent"])
        self.canvas.drawPath(path, stroke=0, fill=1)

    def line(self, x1, y1, x2, y2, width=0.7):
        self.canvas.setStrokeColor(self.colours["accent"])
        self.canvas.setLineWidth(width)
        self.canvas.line(x1, y1, x2, y2)

    # --- the parts of the page ---

    def frame(self):
        """A double frame with small diamonds in the corners."""
        c = self.canvas
        c.setStrokeColor(self.colours["primary"])
        c.setLineWidth(2.4)
        c.rect(18, 18, PAGE_WIDTH - 36, PAGE_HEIGHT - 36)
        c.setStrokeColor(self.colours["accent"])
        c.setLineWidth(0.8)
        c.rect(25, 25, PAGE_WIDTH - 50, PAGE_HEIGHT - 50)
        for x in (25, PAGE_WIDTH - 25):
            for y in (25, PAGE_HEIGHT - 25):
                self.diamond(x, y, 5)

    def header(self):
        """Logo, organisation and heading, centred at the top; returns the y below them."""
        record, template = self.record, self.template
        top = PAGE_HEIGHT - 40
        if template.logo:
            top = self.logo(template.logo, top)
        if record.organisation:
            top = self.block(fit(record.organisation, BOLD, 15, 10, CONTENT_WIDTH, colour="primary"), top)
        else:
            top = self.block(fit(template.organisation["ar"], BOLD, 15, 10, CONTENT_WIDTH, colour="primary",
                                 leading=1.3), top)
            top = self.block(fit(template.organisation[self.second], REGULAR, 12.5, 9, CONTENT_WIDTH,
                                 colour="primary", before=3), top)
        top -= 8
        self.line(CENTRE - 150, top, CENTRE - 9, top)
        self.line(CENTRE + 9, top, CENTRE + 150, top)
        self.diamond(CENTRE, top, 3.2)
        latin, arabic = self.words("heading")
        top = self.block(fit(arabic, BOLD, 30, 18, CONTENT_WIDTH, max_lines=1, colour="primary", leading=1.3,
                             before=2), top)
        heading = fit(latin.upper(), REGULAR, 17, 11, CONTENT_WIDTH, max_lines=1, colour="accent", leading=1.2,
                      before=9)  # clear of the Arabic descenders above
        heading.char_space = 2.2
        return self.block(heading, top)

    def logo(self, path, top):
        """The template's logo, centred at the top, at most 46 pt high and 160 pt wide."""
        image = _logo(path)
        width, height = image.getSize()
        scale = min(46 / height, 160 / width)
        w, h = width * scale, height * scale
        self.canvas.drawImage(image, CENTRE - w / 2, top - h, w, h, mask="auto")
        return top - h - 4

    def body(self, top, bottom):
        """The names and the module, between header and footer; smaller until they fit with air around."""
        for scale in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):
            names, titles = self.body_blocks(scale)
            height = sum(b.height for b in names + titles) + 2 * _PAIR_HEIGHT
            if height + _MIN_BODY_SPACE <= top - bottom:
                break
        free = max(top - bottom - height, 0)
        y = top - free * 0.3
        self.pair("awarded_to", y - _PAIR_HEIGHT + 7)
        y -= _PAIR_HEIGHT
        for block in names:
            y = self.block(block, y)
        y -= free * 0.3
        self.pair("for_completing", y - _PAIR_HEIGHT + 7)
        y -= _PAIR_HEIGHT
        for block in titles:
            y = self.block(block, y)

    def body_blocks(self, scale):
        """The name blocks and the module title blocks at `scale` of their full size."""
        record = self.record
        smallest = 13 if scale >= 0.7 else 9  # only names of hundreds of letters get below 13 pt
        names = [fit(record.full_name, BOLD, 30 * scale, smallest, CONTENT_WIDTH, max_lines=3, colour="primary",
                     leading=1.22, before=2)]
        if record.full_name_ar:
            # Arabic needs more leading: its ascenders and descenders are taller than Latin ones
            names.append(fit(record.full_name_ar, BOLD, 30 * scale, smallest, CONTENT_WIDTH, max_lines=3,
                             colour="primary", leading=1.42))
        titles = [fit(record.title(self.second), BOLD, 18 * scale, 11, CONTENT_WIDTH, leading=1.25, before=2)]
        if record.title("ar") != record.title(self.second):  # a module without an Arabic title shows it once
            titles.append(fit(record.title("ar"), BOLD, 18 * scale, 11, CONTENT_WIDTH, leading=1.42))
        return names, titles

    def footer(self, verify_url):
        """Signatory (left), dates, score and serial (centre), QR code (right); returns the footer's top."""
        return max(self.qr(verify_url), self.details(), self.signatory()) + 8

    def details(self):
        """Cells for the completion date, the score and the expiry date, then the serial; returns their top."""
        record, template, second = self.record, self.template, self.second
        cells = [("completed_on", _date(record.completed_on, template, second),
                  _date(record.completed_on, template, "ar"))]
        if record.score is not None:
            cells.append(("score", _score(record.score, second), None))  # a number reads the same in both
        cells.append(("valid_until", _date(record.expires_on, template, second),
                      _date(record.expires_on, template, "ar")))
        cell_width, top = 118, 196
        left = CENTRE - cell_width * len(cells) / 2
        for i, (key, value, value_ar) in enumerate(cells):
            x, width = left + cell_width * (i + 0.5), cell_width - 8
            latin_label, arabic_label = self.words(key)
            self.fitted(arabic_label, x, top - 12, REGULAR, 10.5, width, "muted")
            self.fitted(latin_label, x, top - 25, REGULAR, 9.5, width, "muted")
            if value_ar is None:
                self.fitted(value, x, top - 49, BOLD, 12, width)
            else:
                self.fitted(value, x, top - 41, BOLD, 12, width)
                self.fitted(value_ar, x, top - 57, BOLD, 12, width)
            if i:
                self.line(left + cell_width * i, top - 56, left + cell_width * i, top - 8, width=0.5)
        self.pair("serial", top - 77, size=9.5, font=REGULAR)
        self.draw(record.serial, CENTRE, top - 98, BOLD, 14, "primary", char_space=1.6)
        latin_note, arabic_note = self.words("signed_note")
        self.fitted(latin_note, CENTRE, 54, ITALIC, 8, 300, "muted")
        self.fitted(arabic_note, CENTRE, 42, REGULAR, 8.5, 300, "muted")
        return top

    def signatory(self):
        """The signatory's name (when the template has one) and title under a rule, bottom left; returns its top."""
        template, x, top = self.template, MARGIN + 105, 118
        self.line(x - 85, top, x + 85, top)
        y = top
        if template.signatory_name:
            y -= 15
            self.fitted(template.signatory_name, x, y, BOLD, 12, 200)
        self.fitted(template.signatory_title[self.second], x, y - 15, REGULAR, 10.5, 200, "muted")
        self.fitted(template.signatory_title["ar"], x, y - 30, REGULAR, 11, 200, "muted")
        return top

    def qr(self, url):
        """The QR code of `url`, bottom right, with "Verify at" and the address to type under it; returns its top."""
        modules = qr_matrix(url)
        module = min(QR_MODULE, QR_MAX_SIZE / len(modules))
        size = module * len(modules)
        right, bottom = PAGE_WIDTH - MARGIN + 8, 66
        self._modules(modules, right - size, bottom, module)
        centre = right - size / 2
        latin, arabic = self.words("verify_at")
        latin_width, arabic_width = text_width(latin, REGULAR, 8.5), text_width(arabic, REGULAR, 9)
        start = centre - (latin_width + arabic_width + 14) / 2
        self.draw(latin, start, bottom - 13, REGULAR, 8.5, "muted", align="left")
        self.diamond(start + latin_width + 7, bottom - 13 + 2.5, 1.8)
        self.draw(arabic, start + latin_width + 14, bottom - 13, REGULAR, 9, "muted", align="left")
        # the address may be wider than the code: it then grows to the left, never past the frame
        shown = short_url(url)
        url_size = _size_to_fit(shown, REGULAR, 8.5, 215)
        url_width = text_width(shown, REGULAR, url_size)
        self.draw(shown, min(centre, right + 6 - url_width / 2), bottom - 25, REGULAR, url_size)
        return bottom + size + QR_QUIET * module

    def _modules(self, modules, left, bottom, module):
        """Dark modules as one filled path, a rectangle per horizontal run, in whole module units.

        One path fill leaves no hairline seams between rows in anti-aliasing viewers; the operators are written
        directly because thousands of reportlab rect() calls would cost more than the rest of the page.
        """
        c = self.canvas
        count = len(modules)
        quiet = QR_QUIET * module
        c.saveState()
        c.setFillColor(white)
        c.rect(left - quiet, bottom - quiet, module * count + 2 * quiet, module * count + 2 * quiet, stroke=0, fill=1)
        c.translate(left, bottom)
        c.scale(module, module)
        c.setFillColorRGB(0, 0, 0)
        operators = []
        for row_index, row in enumerate(modules):
            y = count - 1 - row_index
            start = None
            for x, dark in enumerate(row + [False]):
                if dark and start is None:
                    start = x
                elif not dark and start is not None:
                    operators.append(f"{start} {y} {x - start} 1 re")
                    start = None
        operators.append("f")
        c.addLiteral("\n".join(operators))
        c.restoreState()


def qr_matrix(data):
    """The QR modules of `data` (rows of booleans), error correction M: a printed page survives some wear."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)  # the library puts long runs of upper-case base32 in its compact alphanumeric mode
    code.make(fit=True)
    return code.get_matrix()


def short_url(url):
    """The address to type: the verify URL without its scheme and signed query."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}" if parts.netloc else url.split("?", 1)[0]


def _size_to_fit(text, font, size, width, min_size=5.0):
    """`size`, or the largest smaller size at which `text` fits `width` on one line."""
    measured = text_width(text, font, size)
    if measured <= width:
        return size
    return max(min_size, size * width / measured)


def _date(day, template, lang):
    """A date as written in `lang`: 12 March 2025, 1er mars 2025, 12 مارس 2025."""
    number = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    return f"{number} {template.months[lang][day.month - 1]} {day.year}"


def _score(score, lang):
    """A percentage as written in `lang`: 92.5%, 92,5 %."""
    text = f"{round(score, 1):g}"
    if lang == "fr":
        return text.replace(".", ",") + "\u202f%"
    return text + "%"


def _logo(path):
    """The logo image, read once per process."""
    image = _logo_cache.get(path)
    if image is None:
        image = _logo_cache[path] = ImageReader(path)
    return image
