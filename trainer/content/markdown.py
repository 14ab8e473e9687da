"""Markdown to safe HTML, done once when content is loaded (never per request)."""
import re

import markdown as _markdown
import nh3

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "h5", "ul", "ol", "li", "strong", "em", "blockquote", "code", "pre", "br", "hr",
    "table", "thead", "tbody", "tr", "th", "td", "a",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
RAW_HTML = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?|!--)>?")
_CODE = re.compile(r"`[^`]*`")


def has_raw_html(source):
    """True when the Markdown source holds an HTML tag outside inline code."""
    return bool(RAW_HTML.search(_CODE.sub("", source)))


def raw_html_line(source):
    """0-based line of the first HTML tag in `source` (outside inline code)."""
    for number, line in enumerate(source.splitlines()):
        if RAW_HTML.search(_CODE.sub("", line)):
            return number
    return 0


def render(source):
    """Render Markdown and keep only the tags and attributes listed above (links get rel=noopener)."""
    html = _markdown.markdown(source, extensions=["tables", "sane_lists"], output_format="html")
    html = _shift_headings(html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def _shift_headings(html):
    # The page title is the h1; a '#' in a lesson becomes h2 so the outline stays correct for screen readers.
    return re.sub(r"<(/?)h1>", r"<\1h2>", html)


def word_count(source):
    return len(source.split())
