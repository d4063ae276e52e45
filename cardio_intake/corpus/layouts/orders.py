"""Order-centred sheets: checkbox order sheets (the ticked box carries the intent), order tables with
CPT and ICD columns, imaging requisitions, prescription pads, health-plan referral authorizations and
bilingual community-health-center forms."""

from __future__ import annotations

from cardio_intake.corpus import vocab
from cardio_intake.corpus.layouts.common import TOP, Ctx, letterhead, signature
from cardio_intake.corpus.layouts.ehr import Cell, table
from cardio_intake.corpus.record import Order
from cardio_intake.labels import INTENTS


def _menu(ctx: Ctx) -> list[tuple[Order, bool]]:
    """One printed item per intent; the referral's own orders are the ticked ones."""
    ordered = {o.intent: o for o in ctx.ref.orders}
    items = []
    for intent in INTENTS:
        if intent in ordered:
            items.append((ordered[intent], True))
        else:
            cpt, wordings = vocab.ORDERS[intent][0]
            items.append((Order(intent, cpt, ctx.rng.choice(wordings)), False))
    return items


def checkbox_order_sheet(ctx: Ctx) -> None:
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = max(22, int(ctx.size * 0.88))
    ctx.size = s
    y = letterhead(ctx, TOP, align=rng.choice(["left", "center"]), size=38)
    c.text(100, y, rng.choice(["CARDIOLOGY ORDER SHEET", "Cardiac Testing Order Form", "CARDIOLOGY SERVICES ORDER"]), int(s * 1.4), "bold")
    y += c.line_height(int(s * 1.4)) * 1.5
    col2 = c.width // 2 + 20
    for left, right in (("name", "dob"), ("phone", "mrn"), ("payer", "member_id"), ("group", "date")):
        y_next = ctx.kv(100, y, left, blank_line=left != "group")
        if right != "mrn" or ref.mrn:
            ctx.kv(col2, y, right)
        y = y_next
    y += 10
    c.rect(90, y, c.width - 90, y + c.line_height(s) + 14, width=1, fill=210)
    c.text(100, y + 6, rng.choice(["SERVICES REQUESTED (check all that apply)", "TESTS / PROCEDURES", "ORDER (check)"]), s, "bold")
    y += c.line_height(s) + 30
    items = _menu(ctx)
    mark = rng.choice(["x", "check", "fill"])
    show_codes = rng.random() < 0.7
    half = (len(items) + 1) // 2
    step = c.line_height(s) * 1.4
    x: float
    for i, (order, ticked) in enumerate(items):
        x = 110 if i < half else col2
        yy = y + (i % half) * step
        c.checkbox(x, yy + 4, int(s * 0.95), ticked, mark=mark)
        tx = x + s * 1.5
        if ticked:
            box = c.text(tx, yy, order.procedure, s, entity="PROCEDURE", value=order.procedure)
        else:
            box = c.text(tx, yy, order.procedure, s)
        if show_codes:
            c.text(box[2] + s * 0.5, yy, order.cpt, int(s * 0.9), entity="CPT" if ticked else None, value=order.cpt if ticked else None)
    y += half * step + 20
    c.text(100, y, ctx.lab("dx"), s, "bold")
    y += c.line_height(s) * 1.4
    common = ["R07.9", "R00.2", "R06.02", "I48.91", "I10", "R01.1", "R55", "I25.10"]
    dx_by_code = {d.code: d for d in ref.dx}
    for i, code in enumerate(common):
        x = 110 if i < 4 else col2
        yy = y + (i % 4) * step
        d = dx_by_code.get(code)
        c.checkbox(x, yy + 4, int(s * 0.95), d is not None, mark=mark)
        text = d.text if d else vocab.ICD10[code][1][0]
        written = d.written_code if d else code
        b = c.text(x + s * 1.5, yy, written, s, entity="ICD10" if d else None, value=code if d else None)
        c.text(b[2] + s * 0.5, yy, text, s, entity="DIAGNOSIS" if d else None, value=text if d else None)
    y += 4 * step
    others = [d for d in ref.dx if d.code not in common]
    b = c.text(110, y, "Other:", s, "bold")
    x = b[2] + 20
    for d in others:
        b = c.text(x, y - 6, d.written_code, int(s * 1.2), "hand", entity="ICD10", value=d.code)
        b = c.text(b[2] + 16, y - 6, d.text, int(s * 1.2), "hand", entity="DIAGNOSIS", value=d.text)
        x = b[2] + 30
        if x > c.width - 500:
            x, y = 200.0, y + step
    c.line(b[2] + 10 if others else x, y + s, c.width - 100, y + s, width=1)
    y += step + 10
    c.text(100, y, ctx.lab("urgency"), s, "bold")
    x = 100 + c.text_width(ctx.lab("urgency"), s, "bold") + 30
    for u, word in (("routine", "Routine"), ("urgent", "Urgent"), ("stat", "STAT")):
        ticked = ref.urgency == u
        c.checkbox(x, y + 4, int(s * 0.95), ticked, mark=mark)
        b = c.text(x + s * 1.5, y, word, s, entity="URGENCY" if ticked else None, value=u if ticked else None)
        x = b[2] + 50
    y += step * 1.3
    y = ctx.kv(100, y, "provider")
    yy = ctx.kv(100, y, "npi")
    ctx.kv(col2, y, "fax")
    signature(ctx, 100, yy + 10, with_name=False)


def order_table(ctx: Ctx) -> None:
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = max(22, int(ctx.size * 0.85))
    ctx.size = s
    y = letterhead(ctx, TOP, align=rng.choice(["left", "right", "center"]), size=40)
    c.text(100, y, rng.choice(["ORDERS", "Diagnostic Orders", "Referral Orders"]), int(s * 1.4), "bold")
    y += c.line_height(int(s * 1.4)) * 1.6
    col2 = c.width // 2 + 20
    for left, right in (("name", "dob"), ("payer", "member_id"), ("phone", "group")):
        y_next = ctx.kv(100, y, left)
        if right != "group" or ref.group:
            ctx.kv(col2, y, right)
        y = y_next
    y += 20
    n = max(len(ref.orders), len(ref.dx))
    rows: list[list[Cell]] = []
    for i in range(n):
        o = ref.orders[i] if i < len(ref.orders) else None
        d = ref.dx[i] if i < len(ref.dx) else None
        rows.append([
            (o.cpt, "CPT", o.cpt) if o else "",
            (o.procedure, "PROCEDURE", o.procedure) if o else "",
            (d.written_code, "ICD10", d.code) if d else "",
            (d.text, "DIAGNOSIS", d.text) if d else "",
        ])  # fmt: skip
    widths = [150, 560, 170, c.width - 200 - 880]
    # long diagnosis wordings get their own table below rather than overflowing the column
    max_dx = max((c.text_width(d.text, s) for d in ref.dx), default=0)
    if max_dx > widths[3] - 16:
        rows = [[*r[:2], "", ""] for r in rows[: len(ref.orders)]]
        y = table(ctx, 100, y, widths, [ctx.lab("cpt", colon=False), ctx.lab("proc", colon=False), "", ""], rows, s)
        y += 20
        drows: list[list[Cell]] = [[(d.written_code, "ICD10", d.code), (d.text, "DIAGNOSIS", d.text)] for d in ref.dx]
        y = table(ctx, 100, y, [170, c.width - 370], [ctx.lab("icd", colon=False), ctx.lab("dx", colon=False)], drows, s)
    else:
        y = table(ctx, 100, y, widths, [ctx.lab("cpt", colon=False), ctx.lab("proc", colon=False), ctx.lab("icd", colon=False), ctx.lab("dx", colon=False)], rows, s)
    y += 30
    for key in ["urgency", "date", "provider", "npi", "fax", "mrn"]:
        if ref.has(key):
            y = ctx.kv(100, y, key)
    signature(ctx, 100, y + 20, with_name=False)


def imaging_requisition(ctx: Ctx) -> None:
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = max(22, int(ctx.size * 0.9))
    ctx.size = s
    y = TOP
    title = rng.choice(["CARDIAC IMAGING REQUISITION", "NON-INVASIVE CARDIOLOGY REQUISITION", "Echo / Vascular Lab Requisition"])
    c.text(100, y, title, int(s * 1.5), "bold")
    if ref.urgency in ("urgent", "stat"):
        w = c.text_width(ref.urgency_text, int(s * 1.4), "bold")
        c.rect(c.width - 140 - w, y - 10, c.width - 100, y + c.line_height(int(s * 1.4)) + 10, width=5)
        c.text(c.width - 120 - w, y, ref.urgency_text, int(s * 1.4), "bold", entity="URGENCY", value=ref.urgency)
    y += c.line_height(int(s * 1.5)) * 1.8
    # boxes: patient (left), insurance (right)
    mid = c.width // 2
    top = y
    c.text(110, y + 8, "PATIENT", int(s * 0.8), "bold")
    c.text(mid + 10, y + 8, "INSURANCE", int(s * 0.8), "bold")
    yl = yr = y + 8 + c.line_height(s) * 1.3
    for key in ["name", "dob", "phone", "mrn"]:
        if ref.has(key) or key != "mrn":
            yl = ctx.kv(110, yl, key)
    for key in ["payer", "member_id", "group"]:
        if ref.has(key) or key != "group":
            yr = ctx.kv(mid + 10, yr, key)
    y = max(yl, yr) + 10
    c.rect(90, top, mid - 10, y, width=2)
    c.rect(mid, top, c.width - 90, y, width=2)
    y += 30
    c.text(100, y, rng.choice(["EXAM REQUESTED", "EXAMINATION", "STUDY"]), s, "bold")
    y += c.line_height(s) * 1.4
    for order, ticked in _menu(ctx):
        if order.intent in ("consult", "cardiac_cath", "electrophysiology", "device_check") and not ticked:
            continue
        c.checkbox(120, y + 4, int(s * 0.9), ticked, mark="x")
        if ticked:
            ctx.order_text(120 + s * 1.5, y, order)
        else:
            c.text(120 + s * 1.5, y, order.procedure, s)
        y += c.line_height(s) * 1.3
    y += 20
    c.text(100, y, rng.choice(["CLINICAL HISTORY / INDICATION", "REASON FOR EXAM", "Indication (required)"]), s, "bold")
    y += c.line_height(s) * 1.4
    for d in ref.dx:
        ctx.dx_text(130, y, d, code_first=False)
        y += c.line_height(s) * 1.3
    y += 20
    if ref.urgency == "routine":
        y = ctx.kv(100, y, "urgency")
    for key in ["provider", "npi", "fax", "date"]:
        if ref.has(key) or key == "provider":
            y = ctx.kv(100, y, key)


def rx_pad(ctx: Ctx) -> None:
    """A prescription-pad order, handwritten, on a small sheet placed on the scanner glass."""
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = max(22, int(ctx.size * 0.82))
    hs = int(s * rng.uniform(1.3, 1.6))
    x0 = rng.randint(120, 360)
    y0 = TOP + rng.randint(20, 200)
    x1 = x0 + rng.randint(1000, 1180)
    y = y0 + 30
    ctx.c.text(x0 + 40, y, ref.provider_display, int(s * 1.25), "bold", entity="REFERRING_PROVIDER", value=ref.provider)
    y += c.line_height(int(s * 1.25)) * 1.2
    for line in (ctx.src.name, f"{ctx.src.street}", ctx.src.city_line):
        c.text(x0 + 40, y, line, s)
        y += c.line_height(s) * 1.15
    b = c.text(x0 + 40, y, "Tel", s)
    b = c.text(b[2] + 10, y, ctx.src.phone_text, s)
    if ref.fax:
        b = c.text(b[2] + 30, y, "Fax", s)
        c.text(b[2] + 10, y, ref.fax_text, s, entity="PROVIDER_FAX", value=ref.fax)
    y += c.line_height(s) * 1.15
    if ref.npi:
        b = c.text(x0 + 40, y, "NPI", s)
        c.text(b[2] + 10, y, ref.npi, s, entity="REFERRING_NPI", value=ref.npi)
        y += c.line_height(s) * 1.15
    c.line(x0 + 30, y + 10, x1 - 30, y + 10, width=2)
    y += 40

    def hand_field(label: str, key: str) -> None:
        nonlocal y
        b = c.text(x0 + 40, y + 12, label, s)
        c.line(b[2] + 10, y + 12 + c.line_height(s), x1 - 40, y + 12 + c.line_height(s), width=1)
        text, ent, value = ref.item(key)
        if text:
            c.text(b[2] + 30, y, text, hs, "hand", entity=ent, value=value)
        y += c.line_height(hs) * 1.3

    hand_field("Name", "name")
    hand_field("DOB", "dob")
    if ref.referral_date:
        hand_field("Date", "date")
    c.text(x0 + 40, y, "Rx", int(s * 3), "bold")
    y += c.line_height(int(s * 3)) * 0.9
    for o in ref.orders:
        ctx.order_text(x0 + 120, y, o, size=hs, style="hand")
        y += c.line_height(hs) * 1.25
    b = c.text(x0 + 120, y, "Dx:", hs, "hand")
    x = b[2] + 20
    for d in ref.dx:
        b = ctx.dx_text(x, y, d, size=hs, style="hand", code_first=False)
        y += c.line_height(hs) * 1.25
    if ref.urgency:
        c.text(x0 + 120, y, ref.urgency_text, hs, "hand", entity="URGENCY", value=ref.urgency)
        y += c.line_height(hs) * 1.25
    if ref.payer:
        b = c.text(x0 + 120, y, "Ins:", hs, "hand")
        b = ctx.val(b[2] + 16, y, "payer", hs, "hand") or b
        if ref.member_id:
            ctx.val(b[2] + 24, y, "member_id", hs, "hand")
        y += c.line_height(hs) * 1.25
    y = signature(ctx, x0 + 420, y + 10, with_name=False)
    c.rect(x0, y0, x1, y + 30, width=2, gray=90)


def payer_hmo_form(ctx: Ctx) -> None:
    """A health plan / IPA specialist-referral authorization with numbered boxes."""
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = max(22, int(ctx.size * 0.85))
    ctx.size = s
    cap = int(s * 0.7)
    y = TOP
    plan = ref.payer or ctx.src.name
    c.text(100, y, ctx.src.name, int(s * 1.2), "bold")
    y += c.line_height(int(s * 1.2)) * 1.2
    c.text(100, y, rng.choice(["SPECIALIST REFERRAL AUTHORIZATION", "REFERRAL / PRE-SERVICE REQUEST", "HMO SPECIALTY REFERRAL"]), int(s * 1.3), "bold")
    y += c.line_height(int(s * 1.3)) * 1.5
    boxes: list[list[tuple[str, str | None, float]]] = [
        [("1. " + ctx.lab("payer", colon=False), "payer", 0.5), ("2. " + ctx.lab("member_id", colon=False), "member_id", 0.3), ("3. " + ctx.lab("group", colon=False), "group", 0.2)],
        [("4. Member Name", "name", 0.55), ("5. " + ctx.lab("dob", colon=False), "dob", 0.2), ("6. " + ctx.lab("phone", colon=False), "phone", 0.25)],
        [("7. PCP / Requesting Provider", "provider", 0.5), ("8. " + ctx.lab("npi", colon=False), "npi", 0.22), ("9. " + ctx.lab("fax", colon=False), "fax", 0.28)],
        [("10. Specialist", None, 0.5), ("11. " + ctx.lab("urgency", colon=False), "urgency", 0.3), ("12. " + ctx.lab("date", colon=False), "date", 0.2)],
    ]
    x0, x1 = 90, c.width - 90
    rh = c.line_height(cap) + c.line_height(s) * 1.3 + 18
    for row in boxes:
        xa = float(x0)
        for caption, key, frac in row:
            xb = xa + (x1 - x0) * frac
            c.rect(xa, y, xb, y + rh, width=2)
            c.text(xa + 8, y + 4, caption, cap)
            if key:
                text, ent, value = ref.item(key)
                if text:
                    fs = s if c.text_width(text, s) < xb - xa - 30 else int(s * 0.75)
                    c.text(xa + 14, y + 8 + c.line_height(cap), text, fs, entity=ent, value=value)
            else:
                c.text(xa + 14, y + 8 + c.line_height(cap), "Heartland Cardiology", s)
            xa = xb
        y += rh
    h = c.line_height(cap) + (len(ref.dx) + len(ref.orders)) * c.line_height(s) * 1.3 + 40
    c.rect(x0, y, x1, y + h, width=2)
    c.text(x0 + 8, y + 4, "13. Diagnosis (ICD-10) and services requested (CPT)", cap)
    yy = y + 14 + c.line_height(cap)
    for d in ref.dx:
        ctx.dx_text(x0 + 20, yy, d, with_icd=True)
        yy += c.line_height(s) * 1.3
    for o in ref.orders:
        ctx.order_text(x0 + 20, yy, o, with_cpt=True)
        yy += c.line_height(s) * 1.3
    y += h + 30
    visits = rng.choice(["1", "2", "3", "6"])
    c.text(100, y, f"Number of visits requested: {visits}    Valid for 90 days from date of issue.", s)
    y += c.line_height(s) * 2
    c.text(100, y, f"{plan} reserves the right to review services for medical necessity.", int(s * 0.8), "italic")
    signature(ctx, 100, y + 60, with_name=False)


_BILINGUAL = {
    "name": "Nombre / Name",
    "dob": "Fecha de nacimiento / DOB",
    "phone": "Teléfono / Phone",
    "mrn": "Expediente / Chart #",
    "payer": "Seguro médico / Insurance",
    "member_id": "Número de miembro / Member ID",
    "group": "Grupo / Group",
    "provider": "Médico que refiere / Referring provider",
    "npi": "NPI",
    "fax": "Fax",
    "urgency": "Prioridad / Priority",
    "date": "Fecha / Date",
}


def fqhc_bilingual(ctx: Ctx) -> None:
    """A community health center's bilingual (Spanish / English) referral form; labels above values."""
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = ctx.size
    cap = int(s * 0.72)
    y = letterhead(ctx, TOP, align="center", size=40)
    t = "Referido a Especialista / Specialist Referral"
    c.text((c.width - c.text_width(t, int(s * 1.2), "bold")) / 2, y, t, int(s * 1.2), "bold")
    y += c.line_height(int(s * 1.2)) * 1.8
    cols = [100, 640, 1180]
    keys = [k for k in ["name", "dob", "phone", "payer", "member_id", "group", "mrn", "urgency", "date"] if ref.has(k) or k in ("phone", "group")]
    if rng.random() < 0.5:
        keys = keys[:3] + sorted(keys[3:], key=lambda _: rng.random())
    for i, key in enumerate(keys):
        x = cols[i % 3]
        yy = y + (i // 3) * (c.line_height(cap) + c.line_height(s) * 2.0)
        c.text(x, yy, _BILINGUAL[key], cap, "bold")
        line_y = yy + c.line_height(cap) + c.line_height(s) + 8
        c.line(x, line_y, x + 500, line_y, width=1)
        text, ent, value = ref.item(key)
        if text:
            fs = s if c.text_width(text, s) < 500 else int(s * 0.72)
            c.text(x + 6, yy + c.line_height(cap) + 6, text, fs, entity=ent, value=value)
    y += ((len(keys) + 2) // 3) * (c.line_height(cap) + c.line_height(s) * 2.0) + 30
    c.text(100, y, "Servicio solicitado / Service requested", s, "bold")
    y += c.line_height(s) * 1.4
    for o in ref.orders:
        ctx.order_text(130, y, o)
        y += c.line_height(s) * 1.3
    y += 10
    c.text(100, y, "Diagnóstico / Diagnosis", s, "bold")
    y += c.line_height(s) * 1.4
    for d in ref.dx:
        ctx.dx_text(130, y, d)
        y += c.line_height(s) * 1.3
    y += 20
    for key in ["provider", "npi", "fax"]:
        c.text(100, y, _BILINGUAL[key] + ":", s, "bold")
        ctx.val(100 + c.text_width(_BILINGUAL[key] + ":", s, "bold") + 14, y, key)
        y += c.line_height(s) * 1.35
    signature(ctx, 100, y + 10, with_name=False)
    c.text(100, c.height - 200, "Por favor envíe el informe a nuestra oficina. Please fax the report to our office.", int(s * 0.8), "italic")
