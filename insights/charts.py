"""Geometry for the report's charts, drawn as inline SVG by the templates.

Charts are server-rendered so they read without JavaScript; positions are SVG
attributes (the CSP forbids style attributes) and colours are CSS classes.
"""

from __future__ import annotations

from typing import Any

BAR_WIDTH = 420  # longest bar, in SVG units
BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 0  # labels sit above the bars' value text, outside the SVG


def bars(items: list[tuple[str, int]], width: int = BAR_WIDTH) -> dict[str, Any]:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    top = max((v for _l, v in items), default=0) or 1
    rows = []
    for i, (label, value) in enumerate(items):
        length = round(width * value / top, 1)
        y = i * (BAR_HEIGHT + BAR_GAP)
        rows.append(
            {
                "label": label,
                "value": value,
                "y": y,
                "width": max(length, 1 if value else 0),
                "text_x": length + 6,
                "text_y": y + BAR_HEIGHT * 0.7,
                "index": i % 8,
            }
        )
    return {
        "rows": rows,
        "width": width + 60,
        "height": max(len(rows) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT),
        "bar_height": BAR_HEIGHT,
    }


def columns(
    series: dict[str, int], width: int = 600, height: int = 160
) -> dict[str, Any]:
    """Vertical columns over time (ISO weeks), with the first and last week named."""
    items = list(series.items())
    top = max((v for _k, v in items), default=0) or 1
    n = max(len(items), 1)
    step = width / n
    col_width = max(step * 0.8, 1)
    cols = []
    for i, (key, value) in enumerate(items):
        h = round((height - 20) * value / top, 1)
        cols.append(
            {
                "label": key,
                "value": value,
                "x": round(i * step, 1),
                "y": round(height - 20 - h, 1),
                "width": round(col_width, 1),
                "height": h,
            }
        )
    return {
        "columns": cols,
        "width": width,
        "height": height,
        "baseline": height - 20,
        "first": items[0][0] if items else "",
        "last": items[-1][0] if items else "",
        "max": top,
    }


def scatter(
    coordinates: dict[str, list[float]],
    groups: dict[str, int],
    size: int = 320,
    margin: int = 12,
) -> dict[str, Any]:
    """Participants' 2-D positions scaled into a square, coloured by group."""
    if not coordinates:
        return {"points": [], "size": size}
    xs = [c[0] for c in coordinates.values()]
    ys = [c[1] for c in coordinates.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    inner = size - 2 * margin
    points = []
    for pid, (x, y) in coordinates.items():
        group = groups.get(pid)
        points.append(
            {
                "cx": round(margin + (x - min(xs)) / span * inner, 1),
                "cy": round(margin + (max(ys) - y) / span * inner, 1),
                "group": "none" if group is None else group % 8,
                "grouped": group is not None,
            }
        )
    return {"points": points, "size": size}
