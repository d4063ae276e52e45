"""Coordinate conversion between Label Studio regions and the loader's upright page frame.

Label Studio stores a rectangle as percentages of the image it showed (``original_width`` x
``original_height``): ``x``/``y`` are the top-left corner *before* rotation, ``width``/``height`` the
size, and ``rotation`` degrees clockwise about that corner. The loader turns every page upright
(``Page.rotation_applied`` degrees clockwise), so a region drawn on a sideways or upside-down image
has to be turned with its page.
"""

from __future__ import annotations

import math

BoxPx = tuple[float, float, float, float]


def ls_rect_to_box_px(value: dict[str, float], width: float, height: float) -> BoxPx:
    """Axis-aligned pixel envelope of a (possibly rotated) Label Studio rectangle."""
    x = value["x"] / 100.0 * width
    y = value["y"] / 100.0 * height
    w = value["width"] / 100.0 * width
    h = value["height"] / 100.0 * height
    angle = math.radians(float(value.get("rotation", 0.0) or 0.0))
    if angle == 0.0:
        return (x, y, x + w, y + h)
    cos, sin = math.cos(angle), math.sin(angle)
    # corners relative to the top-left anchor, rotated clockwise in image coordinates (y down)
    corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
    xs = [x + cx * cos - cy * sin for cx, cy in corners]
    ys = [y + cx * sin + cy * cos for cx, cy in corners]
    return (min(xs), min(ys), max(xs), max(ys))


def box_px_to_ls_rect(box: BoxPx, width: float, height: float) -> dict[str, float]:
    """A pixel box as an unrotated Label Studio rectangle (percentages)."""
    x0, y0, x1, y1 = box
    return {
        "x": 100.0 * x0 / width,
        "y": 100.0 * y0 / height,
        "width": 100.0 * (x1 - x0) / width,
        "height": 100.0 * (y1 - y0) / height,
        "rotation": 0.0,
    }


def rotate_box_px(box: BoxPx, width: float, height: float, degrees_cw: int) -> BoxPx:
    """Map a box on an image of ``width`` x ``height`` onto the same image turned ``degrees_cw``
    clockwise (a multiple of 90), as the loader turns a page upright."""
    turns = (degrees_cw // 90) % 4
    if degrees_cw % 90:
        raise ValueError(f"page rotation must be a multiple of 90 degrees, got {degrees_cw}")
    x0, y0, x1, y1 = box
    for _ in range(turns):
        # one clockwise quarter turn: (x, y) -> (H - y, x); the image becomes H x W
        x0, y0, x1, y1 = height - y1, x0, height - y0, x1
        width, height = height, width
    return (x0, y0, x1, y1)


def rotated_size(width: float, height: float, degrees_cw: int) -> tuple[float, float]:
    return (height, width) if (degrees_cw // 90) % 2 else (width, height)
