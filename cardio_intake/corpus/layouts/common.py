"""Drawing helpers shared by the referral-page layout families."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from cardio_intake.corpus import vocab
from cardio_intake.corpus.canvas import Box, Canvas
from cardio_intake.corpus.record import Dx, Order, Referral, Source

TOP: float = 110.0  # below the fax header band


def typo(rng: random.Random, word: str) -> str:
    """Swap two adjacent letters (the typos people make on forms)."""
    idx = [i for i in range(1, len(word) - 2) if word[i].isalpha() and word[i + 1].isalpha()]
    if not idx:
        return word
    i = rng.choice(idx)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


@dataclass
class Labels:
    """The label wording a source uses for each field, fixed per page, with occasional typos."""

    rng: random.Random
    typo_rate: float = 0.03
    upper: bool = False
    colon: str = ":"
    _chosen: dict[str, str] = field(default_factory=dict)

    def __call__(self, key: str, colon: bool = True) -> str:
        if key not in self._chosen:
            text = self.rng.choice(vocab.LABELS[key])
            if self.rng.random() < self.typo_rate:
                text = " ".join(typo(self.rng, w) if len(w) > 4 else w for w in text.split(" "))
            self._chosen[key] = text.upper() if self.upper else text
        return self._chosen[key] + (self.colon if colon else "")


@dataclass
class Ctx:
    """What a layout family draws with."""

    c: Canvas
    ref: Referral
    src: Source
    rng: random.Random
    lab: Labels
    size: int = 28

    def val(self, x: float, y: float, key: str, size: int | None = None, style: str = "regular") -> Box | None:
        """Draw the referral's value for ``key`` as its entity; None when the source left it out."""
        text, ent, value = self.ref.item(key)
        if not text:
            return None
        return self.c.text(x, y, text, size or self.size, style, entity=ent, value=value)

    def kv(
        self,
        x: float,
        y: float,
        key: str,
        size: int | None = None,
        label_style: str = "bold",
        value_style: str = "regular",
        value_x: float | None = None,
        blank_line: bool = True,
    ) -> float:
        """``Label: value`` on one line; returns the y of the next line. A missing value leaves the
        label with an empty underline, as paper forms do."""
        s = size or self.size
        box = self.c.text(x, y, self.lab(key), s, label_style)
        vx = value_x if value_x is not None else box[2] + s * 0.45
        if self.ref.has(key):
            self.val(vx, y, key, s, value_style)
        elif blank_line:
            self.c.line(vx, y + s * 1.05, vx + 260, y + s * 1.05, width=1)
        return y + self.c.line_height(s) * 1.35

    def order_text(self, x: float, y: float, o: Order, size: int | None = None, with_cpt: bool | None = None, style: str = "regular") -> Box:
        s = size or self.size
        box = self.c.text(x, y, o.procedure, s, style, entity="PROCEDURE", value=o.procedure)
        if self.ref.show_cpt if with_cpt is None else with_cpt:
            cx = box[2] + s * 0.5
            prefix = self.rng.choice(["CPT", "-", "", "", ""])
            if prefix:
                cx = self.c.text(cx, y, prefix, s, style)[2] + s * 0.35
            box = self.c.text(cx, y, o.cpt, s, style, entity="CPT", value=o.cpt)
        return box

    def dx_text(self, x: float, y: float, d: Dx, size: int | None = None, with_icd: bool | None = None, style: str = "regular", code_first: bool = True) -> Box:
        s = size or self.size
        show = self.ref.show_icd if with_icd is None else with_icd
        cx = x
        if show and code_first:
            b = self.c.text(cx, y, d.written_code, s, style, entity="ICD10", value=d.code)
            cx = b[2] + s * 0.3
            b = self.c.text(cx, y, "-", s, style)
            cx = b[2] + s * 0.3
        box = self.c.text(cx, y, d.text, s, style, entity="DIAGNOSIS", value=d.text)
        if show and not code_first:
            b = self.c.text(box[2] + s * 0.4, y, "-", s, style)
            box = self.c.text(b[2] + s * 0.4, y, d.written_code, s, style, entity="ICD10", value=d.code)
        return box


def letterhead(ctx: Ctx, y: float = TOP, align: str = "left", size: int = 44, with_fax: bool = True) -> float:
    """Source name, address, phone and (the referring provider's return) fax. Returns the y below."""
    c, src = ctx.c, ctx.src
    style = ctx.rng.choice(["bold", "bold", "regular"])
    name = src.name.upper() if ctx.rng.random() < 0.4 else src.name
    w = c.text_width(name, size, style)
    x = (c.width - w) / 2 if align == "center" else (c.width - 110 - w if align == "right" else 110)
    c.text(x, y, name, size, style)
    y += c.line_height(size) * 1.1
    small = max(22, int(size * 0.5))
    addr = f"{src.street}, {src.city_line}"
    lines = [addr]
    for text in lines:
        w = c.text_width(text, small)
        x = (c.width - w) / 2 if align == "center" else (c.width - 110 - w if align == "right" else 110)
        c.text(x, y, text, small)
        y += c.line_height(small) * 1.2
    # phone / fax line: the fax number is the return fax (an entity) when the source writes it
    parts: list[tuple[str, str | None]] = [("Tel", None), (src.phone_text, None)]
    if with_fax and ctx.ref.fax:
        parts += [("Fax", None), (ctx.ref.fax_text, "PROVIDER_FAX")]
    total = sum(c.text_width(p[0] + ("" if p[0] in ("Tel", "Fax") else "   "), small) + small * 0.4 for p in parts)
    x = (c.width - total) / 2 if align == "center" else (c.width - 110 - total if align == "right" else 110)
    for text, ent in parts:
        label = text + ":" if text in ("Tel", "Fax") else text
        b = c.text(x, y, label, small, entity=ent, value=ctx.ref.fax if ent else None)
        x = b[2] + small * (0.4 if text in ("Tel", "Fax") else 1.4)
    y += c.line_height(small) * 1.4
    return y


def signature(ctx: Ctx, x: float, y: float, with_name: bool = True, size: int | None = None) -> float:
    """A handwritten scribble over a line, and the printed provider name (an entity) below."""
    c, rng = ctx.c, ctx.rng
    s = size or ctx.size
    pts = []
    px = x + 10
    for i in range(rng.randint(10, 18)):
        pts.append((px, y + 20 + rng.uniform(-22, 22) + (8 if i % 2 else -8)))
        px += rng.uniform(14, 30)
    c.polyline(pts, width=3)
    c.line(x, y + 55, x + 520, y + 55, width=2)
    y2 = y + 62
    if with_name:
        c.text(x, y2, ctx.rng.choice(["Signature", "Provider Signature", "Physician signature", "Signed"]), int(s * 0.8), "italic")
        y2 += c.line_height(int(s * 0.8)) * 1.3
        ctx.c.text(x, y2, ctx.ref.provider_display, s, entity="REFERRING_PROVIDER", value=ctx.ref.provider)
        y2 += c.line_height(s) * 1.3
    return y2


def npi_line(ctx: Ctx, x: float, y: float, size: int | None = None) -> float:
    if ctx.ref.npi:
        return ctx.kv(x, y, "npi", size)
    return y


def section_bar(ctx: Ctx, y: float, title: str, size: int | None = None, style: str = "bar") -> float:
    """A section title: a gray bar, an underline, or a boxed caption."""
    c = ctx.c
    s = size or ctx.size
    h = c.line_height(s)
    if style == "bar":
        c.rect(100, y - 4, c.width - 100, y + h + 6, width=1, gray=0, fill=205)
        c.text(112, y, title, s, "bold")
    elif style == "underline":
        c.text(100, y, title, s, "bold")
        c.line(100, y + h + 4, c.width - 100, y + h + 4, width=3)
    else:
        c.text(100, y, title, s, "bold")
    return y + h * 1.7
