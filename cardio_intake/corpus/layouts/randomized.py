"""A procedural referral form: a new design on every page, for training only.

Why: the fixed families teach the model where *those* sources put each field, and the held-out
families (new referral sources) are where it fails: values it never tags because they sit where no
training form had them. This family draws each page from scratch out of the pieces the fixed families
use (letterhead or none, sections in any order, fields grouped and ordered at random, each group as
inline ``label: value`` lines, captions above values, boxed cells or underlined fill-ins, in one to
three columns, typed or handwritten), so that labels and relative position, not absolute position,
carry the reading. ``generate.plan_corpus`` gives it a share of the *training* packets only; it is
never a validation or test family.
"""

from __future__ import annotations

from collections.abc import Callable

from cardio_intake.corpus.layouts.common import TOP, Ctx, letterhead, section_bar, signature

_TITLES = ("REFERRAL", "Cardiology Referral Form", "Request for Consultation", "Specialist Referral",
           "CARDIOLOGY ORDER", "Referral / Order Form", "Outpatient Cardiology Request", "New Patient Referral")  # fmt: skip
_SECTIONS = {
    "patient": ("PATIENT", "Patient Information", "Patient Details", "DEMOGRAPHICS", "Patient"),
    "insurance": ("INSURANCE", "Insurance Information", "Coverage", "Billing / Insurance", "Payer Information"),
    "provider": ("REFERRING PROVIDER", "Referred By", "Ordering Physician", "Provider Information", "From"),
    "order": ("ORDER", "Services Requested", "Reason for Referral", "Requested Studies", "Clinical Information"),
}
_LEFT, _RIGHT = 100.0, 1628.0
_BOTTOM = 2020.0


def _hand(ctx: Ctx, style: str, size: int) -> tuple[str, int]:
    """Value style and size: handwriting is written larger than the printed labels."""
    return (style, int(size * 1.2)) if style == "hand" else (style, size)


def _inline(ctx: Ctx, keys: list[str], y: float, value_style: str) -> float:
    """``Label: value`` pairs, one to three per line."""
    c, s = ctx.c, ctx.size
    widest = max(c.text_width(ctx.lab(k) + "  " + ctx.ref.item(k)[0], s) for k in keys) + 60
    cols = max(1, min(ctx.rng.choice([1, 2, 2, 3]), int((_RIGHT - _LEFT) // widest)))
    col_w = (_RIGHT - _LEFT) / cols
    aligned = ctx.rng.random() < 0.4  # values in one column after the longest label
    label_w = max(c.text_width(ctx.lab(k), s, "bold") for k in keys) + s
    vstyle, vsize = _hand(ctx, value_style, s)
    for i in range(0, len(keys), cols):
        for j, key in enumerate(keys[i : i + cols]):
            x = _LEFT + j * col_w
            box = c.text(x, y, ctx.lab(key), s, ctx.rng.choice(["bold", "regular"]))
            vx = x + label_w if aligned and cols == 1 else box[2] + s * 0.45
            ctx.val(vx, y - (vsize - s) * 0.5, key, vsize, vstyle)
        y += c.line_height(vsize) * ctx.rng.uniform(1.3, 1.6)
    return y


def _caption_above(ctx: Ctx, keys: list[str], y: float, value_style: str) -> float:
    """A small caption with the value under it, in two or three columns."""
    c, s = ctx.c, ctx.size
    cap = max(18, int(s * 0.75))
    cols = ctx.rng.choice([2, 3])
    col_w = (_RIGHT - _LEFT) / cols
    vstyle, vsize = _hand(ctx, value_style, s)
    step = c.line_height(cap) * 1.1 + c.line_height(vsize) * 1.5
    for i in range(0, len(keys), cols):
        for j, key in enumerate(keys[i : i + cols]):
            x = _LEFT + j * col_w
            c.text(x, y, ctx.lab(key, colon=False), cap, ctx.rng.choice(["bold", "regular", "italic"]))
            ctx.val(x + ctx.rng.uniform(0, 20), y + c.line_height(cap) * 1.1, key, vsize, vstyle)
        y += step
    return y


def _cells(ctx: Ctx, keys: list[str], y: float, value_style: str) -> float:
    """Boxed cells, caption top left, value inside; two or three to a row."""
    c, s = ctx.c, ctx.size
    cap = max(18, int(s * 0.66))
    cols = ctx.rng.choice([2, 3])
    vstyle, vsize = _hand(ctx, value_style, s)
    row_h = int(c.line_height(cap) + c.line_height(vsize) * 1.35 + 16)
    for i in range(0, len(keys), cols):
        row = keys[i : i + cols]
        w = (_RIGHT - _LEFT) / len(row)
        for j, key in enumerate(row):
            xa = _LEFT + j * w
            c.rect(xa, y, xa + w, y + row_h, width=2)
            c.text(xa + 8, y + 4, ctx.lab(key, colon=False), cap, "bold" if ctx.rng.random() < 0.5 else "regular")
            ctx.val(xa + 14, y + 8 + c.line_height(cap), key, vsize, vstyle)
        y += row_h
    return y + 16


def _fill_in(ctx: Ctx, keys: list[str], y: float, value_style: str) -> float:
    """Labels on underlines, the value written over the line, one or two to a line."""
    c, s, rng = ctx.c, ctx.size, ctx.rng
    cols = rng.choice([1, 2])
    col_w = (_RIGHT - _LEFT) / cols
    vstyle, vsize = _hand(ctx, value_style, s)
    step = c.line_height(vsize) * 1.4
    for i in range(0, len(keys), cols):
        for j, key in enumerate(keys[i : i + cols]):
            x = _LEFT + j * col_w
            b = c.text(x, y + 10, ctx.lab(key), s, "regular")
            line_y = y + 10 + c.line_height(s)
            c.line(b[2] + 8, line_y, x + col_w - 30, line_y, width=1)
            ctx.val(b[2] + 16 + rng.uniform(0, 30), line_y - c.line_height(vsize) + rng.uniform(-4, 6), key, vsize, vstyle)
        y += step
    return y


_GROUP_STYLES: tuple[Callable[[Ctx, list[str], float, str], float], ...] = (_inline, _inline, _caption_above, _cells, _fill_in)


def _orders(ctx: Ctx, y: float, value_style: str) -> float:
    c, s, rng = ctx.c, ctx.size, ctx.rng
    vstyle, vsize = _hand(ctx, value_style, s)
    c.text(_LEFT, y, ctx.lab("proc"), s, "bold")
    y += c.line_height(s) * 1.3
    bullet = rng.choice(["-", "*", "", "", "1."])
    for n, o in enumerate(ctx.ref.orders, start=1):
        x = _LEFT + 40
        if bullet:
            x = c.text(x, y, f"{n}." if bullet == "1." else bullet, s)[2] + 12
        ctx.order_text(x, y, o, size=vsize, style=vstyle)
        y += c.line_height(vsize) * 1.3
    c.text(_LEFT, y + 6, ctx.lab("dx"), s, "bold")
    y += c.line_height(s) * 1.4
    code_first = rng.random() < 0.6
    for d in ctx.ref.dx:
        ctx.dx_text(_LEFT + 40, y, d, size=vsize, style=vstyle, code_first=code_first)
        y += c.line_height(vsize) * 1.3
    if ctx.ref.has("urgency") and rng.random() < 0.7:
        y = _inline(ctx, ["urgency"], y + 8, value_style)
    return y + 10


def random_form(ctx: Ctx) -> None:
    c, rng = ctx.c, ctx.rng
    # packet.py shrinks ctx.size and redraws when a page overflows: scale from it, not over it
    ctx.size = max(18, int(ctx.size * rng.uniform(0.78, 1.0)))
    value_style = rng.choice(["regular", "regular", "regular", "bold", "hand", "hand"])
    heading = rng.choice(["bar", "underline", "plain", "none", "none"])
    y = letterhead(ctx, TOP, align=rng.choice(["left", "center", "right"]), size=rng.choice([34, 38, 42])) if rng.random() < 0.8 else TOP + 20
    title = rng.choice(_TITLES)
    ts = rng.choice([30, 34, 38])
    tx = rng.choice([_LEFT, (c.width - c.text_width(title, ts, "bold")) / 2])
    c.text(tx, y + 10, title, ts, "bold")
    y += c.line_height(ts) * 1.6

    groups: dict[str, list[str]] = {
        "patient": [k for k in ("name", "dob", "phone", "mrn") if ctx.ref.has(k)],
        "insurance": [k for k in ("payer", "member_id", "group") if ctx.ref.has(k)],
        "provider": [k for k in ("provider", "npi", "fax") if ctx.ref.has(k)],
    }
    for keys in groups.values():
        if rng.random() < 0.4:
            rng.shuffle(keys[1:])  # the first field of a group (the name, the payer) usually leads
    if ctx.ref.has("date"):
        groups[rng.choice(list(groups))].append("date")
    order = ["patient", "insurance", "provider", "order"]
    rng.shuffle(order)
    if rng.random() < 0.5 and order[0] != "patient":
        order.remove("patient")
        order.insert(0, "patient")
    for name in order:
        if heading != "none":
            y = section_bar(ctx, y, rng.choice(_SECTIONS[name]), style=heading)
        if name == "order":
            y = _orders(ctx, y, value_style)
        elif groups[name]:
            y = rng.choice(_GROUP_STYLES)(ctx, groups[name], y, value_style)
        y += rng.uniform(10, 90)  # forms differ in how much of the page they use
    if y < _BOTTOM - 150:
        signature(ctx, rng.choice([_LEFT, 900.0]), y + 10, with_name=rng.random() < 0.3)
