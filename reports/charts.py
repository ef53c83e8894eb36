"""Charts as inline SVG generated in Python: no JavaScript, no internet, the same picture in the
HTML page and in the PDF (WeasyPrint draws SVG itself)."""
from __future__ import annotations

from xml.sax.saxutils import escape

FONT = "Noto Sans CJK SC, Noto Serif CJK SC, sans-serif"
BAR = "#2f6db5"


def _attr(value) -> str:
    return escape(str(value), {'"': "&quot;"})


def _text(x, y, text, size=11, anchor="middle", fill="#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-family="{FONT}" fill="{fill}">{escape(str(text))}</text>')


def bar_chart(title: str, items: list[tuple[str, float]], width: int = 640,
              height: int = 240) -> str:
    """A vertical bar chart of (label, value) with the value above each bar."""
    left, right, top, bottom = 40, 10, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for _l, v in items] + [1])
    step = plot_w / max(len(items), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_attr(title)}">',
             _text(width / 2, 18, title, 13),
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
             f'stroke="#888" stroke-width="1"/>']
    for i, (label, value) in enumerate(items):
        h = plot_h * float(value) / peak
        x = left + i * step + step * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                     f'height="{h:.1f}" fill="{BAR}"/>')
        parts.append(_text(x + step * 0.35, top + plot_h - h - 3, value, 10))
        parts.append(_text(x + step * 0.35, top + plot_h + 14, label, 9))
    parts.append("</svg>")
    return "".join(parts)


def hotspot_map(title: str, points: list[tuple[float, float, int]], shapes: list,
                width: int = 640, height: int = 420, background: list = ()) -> str:
    """Case hotspots as circles (area ∝ count) over the strict-control zones, in a simple
    equirectangular projection of the box that holds them (no tiles: works offline);
    ``background`` (name, polygon) pairs, e.g. district boundaries, are outlined beneath and
    clipped to the picture."""
    lats = [p[0] for p in points] + [y for _n, s in shapes for y in (s.bounds[1], s.bounds[3])]
    lngs = [p[1] for p in points] + [x for _n, s in shapes for x in (s.bounds[0], s.bounds[2])]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_attr(title)}">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f6f8" '
             f'stroke="#999"/>', _text(width / 2, 18, title, 13)]
    if not lats:
        parts.append(_text(width / 2, height / 2, "—", 14))
        return "".join(parts + ["</svg>"])
    pad = 0.01
    min_lat, max_lat = min(lats) - pad, max(lats) + pad
    min_lng, max_lng = min(lngs) - pad, max(lngs) + pad
    margin, top = 20, 30
    scale = min((width - 2 * margin) / (max_lng - min_lng),
                (height - top - margin) / (max_lat - min_lat))

    def xy(lat, lng):
        return margin + (lng - min_lng) * scale, height - margin - (lat - min_lat) * scale

    for name, geometry in background:
        for polygon in getattr(geometry, "geoms", [geometry]):
            ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(lat, lng) for lng, lat in
                                                             polygon.exterior.coords))
            parts.append(f'<polygon points="{ring}" fill="none" stroke="#9aa0a6" '
                         f'stroke-width="1" stroke-dasharray="4 3"/>')
        cx, cy = xy(geometry.centroid.y, geometry.centroid.x)
        if margin < cx < width - margin and top < cy < height - margin:
            parts.append(_text(cx, cy, name, 10, fill="#80868b"))
    for name, geometry in shapes:
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(lat, lng) for lng, lat in
                                                         geometry.exterior.coords))
        parts.append(f'<polygon points="{ring}" fill="#f0ad4e" fill-opacity="0.35" '
                     f'stroke="#d9822b" stroke-width="1.5"/>')
        cx, cy = xy(geometry.centroid.y, geometry.centroid.x)
        parts.append(_text(cx, cy - 8, name, 10, fill="#8a4b08"))
    peak = max([n for *_p, n in points] + [1])
    for lat, lng, n in sorted(points, key=lambda p: p[2]):
        x, y = xy(lat, lng)
        r = 3 + 14 * (n / peak) ** 0.5
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#c0392b" '
                     f'fill-opacity="0.55" stroke="#7b241c" stroke-width="0.5"/>')
    parts.append(_text(width - margin, height - 6,
                       f"{min_lat:.2f}–{max_lat:.2f}°N  {min_lng:.2f}–{max_lng:.2f}°E", 9,
                       anchor="end", fill="#555"))
    parts.append("</svg>")
    return "".join(parts)
