"""EHR printouts: an "Ambulatory Referral to Cardiology" order with tables, and a text-dump order
requisition with dotted leaders. These are the pages EHRs e-fax with a real text layer."""

from __future__ import annotations

from collections.abc import Sequence

from cardio_intake.corpus.layouts.common import TOP, Ctx

Cell = str | tuple[str, str | None, object]


def table(ctx: Ctx, x: float, y: float, widths: Sequence[float], header: Sequence[str] | None, rows: Sequence[Sequence[Cell]], size: int, grid: bool = True) -> float:
    """A ruled table; a cell is plain text or (text, entity, value). Returns the y below it."""
    c = ctx.c
    rh = c.line_height(size) + 16
    x_end = x + sum(widths)
    all_rows: list[Sequence[Cell]] = ([list(header)] if header else []) + list(rows)
    for r, row in enumerate(all_rows):
        is_head = header is not None and r == 0
        if is_head:
            c.rect(x, y, x_end, y + rh, width=1, fill=215)
        cx = x
        for w, cell in zip(widths, row, strict=False):
            text, ent, value = (cell, None, None) if isinstance(cell, str) else cell
            if text:
                c.text(cx + 8, y + 8, text, size, "bold" if is_head else "regular", entity=ent, value=value)
            cx += w
        if grid:
            c.line(x, y + rh, x_end, y + rh, width=1)
        y += rh
    if grid:
        top = y - rh * len(all_rows)
        c.rect(x, top, x_end, y, width=2)
        cx = x
        for w in widths[:-1]:
            cx += w
            c.line(cx, top, cx, y, width=1)
    return y


def _it(ctx: Ctx, key: str) -> Cell:
    text, ent, value = ctx.ref.item(key)
    return (text, ent, value) if text else ""


def ehr_ambulatory_referral(ctx: Ctx) -> None:
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = max(22, int(ctx.size * 0.85))
    small = int(s * 0.8)
    y = TOP
    c.text(100, y, f"{ctx.src.name}", small)
    stamp = f"Printed {ref.date_text if ref.referral_date else ''}".strip()
    c.text(c.width - 100 - c.text_width(stamp, small), y, stamp, small)
    y += c.line_height(small) * 1.6
    title = rng.choice(["Ambulatory Referral to Cardiology", "Referral to Cardiology (Ambulatory)", "Outpatient Referral - Cardiology"])
    c.text(100, y, title, int(s * 1.6), "bold")
    y += c.line_height(int(s * 1.6)) * 1.3
    c.hrule(y, width=3)
    y += 16
    # patient banner
    x = 100.0
    for key in ["name", "dob", "mrn", "phone"]:
        if ctx.ref.has(key):
            b = c.text(x, y, ctx.lab(key), s, "bold")
            b = ctx.val(b[2] + 10, y, key, s) or b
            x = b[2] + 40
            if x > c.width - 500:
                x = 100.0
                y += c.line_height(s) * 1.3
    y += c.line_height(s) * 1.8
    c.text(100, y, "Referral Information", int(s * 1.15), "bold")
    y += c.line_height(s) * 1.5
    info_rows: list[list[Cell]] = [
        ["Referral ID", str(rng.randint(10_000_000, 99_999_999))],
        ["Status", rng.choice(["Pending Review", "Open", "Sent"])],
        [ctx.lab("urgency", colon=False), _it(ctx, "urgency")],
        ["Referred to", rng.choice(["Heartland Cardiology Associates", "CARDIOLOGY - HEARTLAND", "Cardiovascular Medicine"])],
        [ctx.lab("provider", colon=False), _it(ctx, "provider")],
        [ctx.lab("npi", colon=False), _it(ctx, "npi")],
        [ctx.lab("fax", colon=False), _it(ctx, "fax")],
        [ctx.lab("date", colon=False), _it(ctx, "date")],
    ]
    info_rows = [r for r in info_rows if r[1] or rng.random() < 0.5]
    y = table(ctx, 100, y, [480, c.width - 200 - 480], None, info_rows, s)
    y += 30
    c.text(100, y, "Diagnoses", int(s * 1.15), "bold")
    y += c.line_height(s) * 1.5
    dx_rows: list[list[Cell]] = [
        [(d.written_code, "ICD10", d.code) if ref.show_icd else "", (d.text, "DIAGNOSIS", d.text)] for d in ref.dx
    ]
    y = table(ctx, 100, y, [220, c.width - 200 - 220], ["Code", "Description"], dx_rows, s)
    y += 30
    c.text(100, y, rng.choice(["Orders", "Procedures", "Requested Services"]), int(s * 1.15), "bold")
    y += c.line_height(s) * 1.5
    o_rows: list[list[Cell]] = [
        [(o.cpt, "CPT", o.cpt) if ref.show_cpt else "", (o.procedure, "PROCEDURE", o.procedure), "1"] for o in ref.orders
    ]
    y = table(ctx, 100, y, [220, c.width - 200 - 360, 140], ["Code", "Description", "Qty"], o_rows, s)
    y += 30
    c.text(100, y, "Coverage", int(s * 1.15), "bold")
    y += c.line_height(s) * 1.5
    cov: list[list[Cell]] = [[_it(ctx, "payer"), _it(ctx, "member_id"), _it(ctx, "group")]]
    y = table(ctx, 100, y, [700, 450, c.width - 200 - 1150], ["Payer", ctx.lab("member_id", colon=False), ctx.lab("group", colon=False)], cov, s)
    y += 40
    c.text(100, y, rng.choice(["Electronically signed by", "Signed by", "Ordering provider:"]), small, "italic")
    y += c.line_height(small) * 1.3
    ctx.val(100, y, "provider", s)


def ehr_order_summary(ctx: Ctx) -> None:
    """A monospace text dump: ``LABEL.........: value`` lines, the way older EHRs print orders."""
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = max(22, int(ctx.size * 0.85))
    y = TOP + 10
    width_chars = 22
    ch = c.text_width("M", s)
    c.text(100, y, "*" * 60, s)
    y += c.line_height(s) * 1.2
    c.text(100, y, rng.choice(["ORDER REQUISITION", "OUTPATIENT ORDER", "REFERRAL ORDER SUMMARY"]), s, "bold")
    y += c.line_height(s) * 1.2
    c.text(100, y, ctx.src.name.upper(), s)
    y += c.line_height(s) * 1.2
    c.text(100, y, "*" * 60, s)
    y += c.line_height(s) * 2

    def leader(label: str, key: str | None = None, text: str = "", ent: str | None = None, value: object = None) -> None:
        nonlocal y
        dots = "." * max(2, width_chars - len(label))
        b = c.text(100, y, f"{label}{dots}:", s)
        if key is not None:
            ctx.val(b[2] + ch, y, key, s)
        elif text:
            c.text(b[2] + ch, y, text, s, entity=ent, value=value)
        y += c.line_height(s) * 1.3

    lab = ctx.lab
    lab.upper = True
    lab.colon = ""
    for key in ["name", "dob", "mrn", "phone"]:
        if ref.has(key):
            leader(lab(key), key)
    y += c.line_height(s) * 0.6
    for key in ["payer", "member_id", "group"]:
        if ref.has(key):
            leader(lab(key), key)
    y += c.line_height(s) * 0.6
    for i, o in enumerate(ref.orders):
        leader(f"ORDER {i + 1}", text=o.procedure, ent="PROCEDURE", value=o.procedure)
        if ref.show_cpt:
            leader("  CPT", text=o.cpt, ent="CPT", value=o.cpt)
    for i, d in enumerate(ref.dx):
        if ref.show_icd:
            leader(f"DX {i + 1} CODE", text=d.written_code, ent="ICD10", value=d.code)
        leader(f"DX {i + 1} DESC", text=d.text, ent="DIAGNOSIS", value=d.text)
    y += c.line_height(s) * 0.6
    for key in ["urgency", "provider", "npi", "fax", "date"]:
        if ref.has(key):
            leader(lab(key), key)
    y += c.line_height(s)
    c.text(100, y, "*** END OF ORDER ***", s)
