"""Charts drawn on the server as small inline SVG: no JavaScript, no request, a few hundred bytes each.

Each chart is an image for screen readers (role="img" with a title and a description that states the numbers);
the page puts the same numbers in a table beside it. Right-to-left pages get a mirrored drawing: bars start at
the right and labels sit on the right.
"""
from markupsafe import Markup, escape

INK, MUTED, LINE, BAR, MARK = "#1d2430", "#5b6575", "#d9dee6", "#0b5c7a", "#b3261e"


class _Canvas:
    """Collects SVG elements in left-to-right coordinates and mirrors them for right-to-left pages."""

    def __init__(self, width, height, rtl):
        self.width, self.height, self.rtl, self.parts = width, height, rtl, []

    def _x(self, x, w=0):
        return round(self.width - x - w, 1) if self.rtl else round(x, 1)

    def _anchor(self, anchor):
        if not self.rtl or anchor == "middle":
            return anchor
        return "end" if anchor == "start" else "start"

    def rect(self, x, y, w, h, fill=BAR):
        self.parts.append(f'<rect x="{self._x(x, w)}" y="{round(y, 1)}" width="{round(w, 1)}" '
                          f'height="{round(h, 1)}" fill="{fill}"/>')

    def line(self, x1, y1, x2, y2, stroke=LINE, dash=False):
        extra = ' stroke-dasharray="4 3"' if dash else ""
        self.parts.append(f'<line x1="{self._x(x1)}" y1="{round(y1, 1)}" x2="{self._x(x2)}" y2="{round(y2, 1)}" '
                          f'stroke="{stroke}"{extra}/>')

    def text(self, x, y, value, anchor="start", fill=INK, size=12, weight=None):
        bold = f' font-weight="{weight}"' if weight else ""
        self.parts.append(f'<text x="{self._x(x)}" y="{round(y, 1)}" text-anchor="{self._anchor(anchor)}" '
                          f'font-size="{size}" fill="{fill}"{bold}>{escape(value)}</text>')

    def svg(self, chart_id, title, description):
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-labelledby="{chart_id}-t {chart_id}-d" direction="ltr" focusable="false">'
            f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>'
            + "".join(self.parts) + "</svg>")


def _nice_max(value):
    """A round top for the value axis: 1, 2, 5, 10, 20, 50..."""
    if value <= 5:
        return max(value, 1)
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor * 10:
                top = step * factor
                return -(-value // top) * top
        step *= 10


def score_distribution(chart_id, bins, title, description, pass_mark=None, pass_label="", rtl=False, fmt=str,
                       width=560, height=230):
    """The score distribution: `bins` [(low, high, count)] as columns, the pass mark as a dashed line."""
    canvas = _Canvas(width, height, rtl)
    left, right, top, bottom = 34, 8, 30, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((count for _, _, count in bins), default=0))
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        canvas.line(left, y, width - right, y)
        label = peak * fraction
        canvas.text(left - 6, y + 4, fmt(int(label)) if float(label).is_integer() else "", anchor="end",
                    fill=MUTED, size=11)
    band = plot_w / max(len(bins), 1)
    for i, (low, high, count) in enumerate(bins):
        x = left + i * band
        h = plot_h * count / peak if peak else 0
        if count:
            canvas.rect(x + band * 0.12, top + plot_h - h, band * 0.76, h)
            canvas.text(x + band / 2, top + plot_h - h - 4, fmt(count), anchor="middle", size=11)
        canvas.text(x + band / 2, height - bottom + 15, f"{fmt(low)}–{fmt(high)}", anchor="middle", fill=MUTED,
                    size=10)
    if pass_mark is not None:
        x = left + plot_w * pass_mark / 100
        canvas.line(x, 6, x, top + plot_h, stroke=MARK, dash=True)
        canvas.text(x - 4, 14, pass_label, anchor="end", fill=MARK, size=11)
    canvas.text(left + plot_w / 2, height - 4, "%", anchor="middle", fill=MUTED, size=11)
    return canvas.svg(chart_id, title, description)


def funnel(chart_id, steps, title, description, rtl=False, fmt=str, percent=str, width=560):
    """Horizontal bars [(label, count)], each measured against the first: a completion funnel."""
    row, label_w, value_w = 30, 210, 92
    canvas = _Canvas(width, row * len(steps) + 8, rtl)
    bar_w = width - label_w - value_w
    first = steps[0][1] if steps else 0
    for i, (label, count) in enumerate(steps):
        y = 4 + i * row
        canvas.text(label_w - 8, y + 19, label, anchor="end", size=12)
        canvas.rect(label_w, y + 4, bar_w, row - 10, fill="#eef1f5")
        if first and count:
            canvas.rect(label_w, y + 4, max(bar_w * count / first, 2), row - 10)
        share = f" ({percent(100 * count / first)})" if first else ""
        canvas.text(label_w + bar_w + 6, y + 19, f"{fmt(count)}{share}", anchor="start", size=12, weight="600")
    return canvas.svg(chart_id, title, description)
