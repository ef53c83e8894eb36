"""A trend chart of scores over periods as inline SVG (no JavaScript, no internet), in the
style of ``reports.charts``."""
from __future__ import annotations

from reports.charts import _attr, _text

COLOURS = ("#2f6db5", "#d9534f", "#5cb85c", "#f0ad4e", "#6f42c1", "#20c997", "#6c757d")


def trend_chart(title: str, periods: list[str], series: list[tuple[str, list]],
                width: int = 640, height: int = 260) -> str:
    """One line per (label, [score or None per period]); the y axis runs 0–100+."""
    left, right, top, bottom = 40, 120, 30, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([100.0] + [float(v) for _l, vs in series for v in vs if v is not None])
    step = plot_w / max(len(periods) - 1, 1)

    def xy(i, v):
        return left + i * step, top + plot_h - plot_h * float(v) / peak

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_attr(title)}">',
             _text(width / 2, 18, title, 13)]
    for mark in (60, 80, 90, 100):
        y = top + plot_h - plot_h * mark / peak
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
                     f'stroke="#ddd" stroke-width="1"/>')
        parts.append(_text(left - 4, y + 4, mark, 9, "end"))
    for i, period in enumerate(periods):
        parts.append(_text(left + i * step, top + plot_h + 16, period, 9))
    for n, (label, values) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        points = [xy(i, v) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        parts.append(_text(left + plot_w + 8, top + 12 + 14 * n, label, 10, "start", colour))
    parts.append("</svg>")
    return "".join(parts)
