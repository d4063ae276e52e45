"""Paper referral forms from primary-care clinics: classic sectioned form, boxed grid, handwritten
fill-in, two-column, half-page and patient-block-at-the-bottom designs."""

from __future__ import annotations

from cardio_intake.corpus.layouts.common import TOP, Ctx, letterhead, section_bar, signature

_TITLES = ("REFERRAL FORM", "Specialty Referral Request", "Cardiology Referral", "Outpatient Referral",
           "REFERRAL TO SPECIALIST", "Consultation Request")  # fmt: skip


def _title(ctx: Ctx, y: float, size: int = 40, center: bool = True) -> float:
    c = ctx.c
    t = ctx.rng.choice(_TITLES)
    w = c.text_width(t, size, "bold")
    c.text((c.width - w) / 2 if center else 100, y, t, size, "bold")
    return y + c.line_height(size) * 1.5


def _to_line(ctx: Ctx, x: float, y: float) -> float:
    c = ctx.c
    b = c.text(x, y, ctx.rng.choice(["To:", "Refer to:", "Specialist:"]), ctx.size, "bold")
    c.text(b[2] + 12, y, ctx.rng.choice(["Heartland Cardiology Associates", "Cardiology", "Heartland Heart & Vascular", "Dr. on call - Cardiology"]), ctx.size)
    return y + c.line_height(ctx.size) * 1.4


def _services(ctx: Ctx, x: float, y: float, bullet: str = "-") -> float:
    c = ctx.c
    for o in ctx.ref.orders:
        bx = x
        if bullet:
            bx = c.text(x, y, bullet, ctx.size)[2] + 12
        ctx.order_text(bx, y, o)
        y += c.line_height(ctx.size) * 1.3
    return y


def _diagnoses(ctx: Ctx, x: float, y: float, code_first: bool = True) -> float:
    for d in ctx.ref.dx:
        ctx.dx_text(x, y, d, code_first=code_first)
        y += ctx.c.line_height(ctx.size) * 1.3
    return y


def pcp_form_classic(ctx: Ctx) -> None:
    c, rng, s = ctx.c, ctx.rng, ctx.size
    y = letterhead(ctx, TOP, align=rng.choice(["left", "center"]))
    c.hrule(y, width=3)
    y = _title(ctx, y + 30)
    y = _to_line(ctx, 100, y)
    if ctx.ref.has("date"):
        y = ctx.kv(100, y, "date")
    bar = rng.choice(["bar", "underline", "plain"])
    y = section_bar(ctx, y + 10, "PATIENT INFORMATION", style=bar)
    col2 = c.width // 2 + 20
    keys = [k for k in ["dob", "phone", "mrn"] if k != "mrn" or ctx.ref.mrn]
    if rng.random() < 0.5:
        rng.shuffle(keys)
    y = ctx.kv(100, y, "name")
    for i in range(0, len(keys), 2):
        y_next = ctx.kv(100, y, keys[i])
        if i + 1 < len(keys):
            ctx.kv(col2, y, keys[i + 1])
        y = y_next
    y += 10
    y = section_bar(ctx, y, "INSURANCE", style=bar)
    y = ctx.kv(100, y, "payer")
    yy = ctx.kv(100, y, "member_id")
    if ctx.ref.group:
        ctx.kv(col2, y, "group")
    y = yy + 10
    y = section_bar(ctx, y, rng.choice(["REFERRAL DETAILS", "REASON FOR REFERRAL", "SERVICES REQUESTED"]), style=bar)
    c.text(100, y, ctx.lab("proc"), s, "bold")
    y = _services(ctx, 140, y + c.line_height(s) * 1.3)
    c.text(100, y, ctx.lab("dx"), s, "bold")
    y = _diagnoses(ctx, 140, y + c.line_height(s) * 1.3, code_first=rng.random() < 0.6)
    if ctx.ref.has("urgency"):
        y = ctx.kv(100, y + 6, "urgency")
    y = section_bar(ctx, y + 12, "REFERRING PROVIDER", style=bar)
    y = ctx.kv(100, y, "provider")
    yy = ctx.kv(100, y, "npi")
    ctx.kv(col2, y, "fax")
    signature(ctx, 100, yy + 20, with_name=False)


def pcp_form_grid(ctx: Ctx) -> None:
    """A boxed form: each cell has a small caption at its top left and the value inside."""
    c, rng = ctx.c, ctx.rng
    s = ctx.size
    cap = max(18, int(s * 0.66))
    y = letterhead(ctx, TOP, align="center", size=40)
    y = _title(ctx, y + 10, 36)
    x0, x1 = 90, c.width - 90
    row_h = int(c.line_height(cap) + c.line_height(s) * 1.35 + 16)

    def cell(xa: float, xb: float, ya: float, caption: str, key: str | None) -> None:
        c.rect(xa, ya, xb, ya + row_h, width=2)
        c.text(xa + 8, ya + 4, caption, cap, "bold" if rng.random() < 0.5 else "regular")
        if key:
            ctx.val(xa + 14, ya + 8 + c.line_height(cap), key)

    rows: list[list[tuple[str, str | None, float]]] = [
        [(ctx.lab("name", colon=False), "name", 0.55), (ctx.lab("dob", colon=False), "dob", 0.25), (ctx.lab("sex", colon=False), None, 0.2)],
        [(ctx.lab("phone", colon=False), "phone", 0.5), (ctx.lab("mrn", colon=False), "mrn", 0.5)],
        [(ctx.lab("payer", colon=False), "payer", 0.42), (ctx.lab("member_id", colon=False), "member_id", 0.33), (ctx.lab("group", colon=False), "group", 0.25)],
        [(ctx.lab("provider", colon=False), "provider", 0.45), (ctx.lab("npi", colon=False), "npi", 0.25), (ctx.lab("fax", colon=False), "fax", 0.3)],
    ]
    if rng.random() < 0.4:
        rows[1], rows[2] = rows[2], rows[1]
    for row in rows:
        xa = float(x0)
        for caption, key, frac in row:
            xb = xa + (x1 - x0) * frac
            cell(xa, xb, y, caption, key)
            if key is None:
                c.text(xa + 14, y + 8 + c.line_height(cap), ctx.ref.sex, s)
            xa = xb
        y += row_h
    # diagnoses and services: tall cells
    n_dx = len(ctx.ref.dx)
    h = c.line_height(cap) + n_dx * c.line_height(s) * 1.3 + 24
    c.rect(x0, y, x1, y + h, width=2)
    c.text(x0 + 8, y + 4, ctx.lab("dx", colon=False) + (" / ICD-10" if ctx.ref.show_icd else ""), cap, "bold")
    _diagnoses(ctx, x0 + 14, y + 10 + c.line_height(cap))
    y += h
    h = c.line_height(cap) + len(ctx.ref.orders) * c.line_height(s) * 1.3 + 24
    c.rect(x0, y, x1, y + h, width=2)
    c.text(x0 + 8, y + 4, ctx.lab("proc", colon=False), cap, "bold")
    _services(ctx, x0 + 14, y + 10 + c.line_height(cap), bullet="")
    y += h
    half = (x0 + x1) / 2
    cell(x0, half, y, ctx.lab("urgency", colon=False), "urgency")
    cell(half, x1, y, ctx.lab("date", colon=False), "date")
    y += row_h + 30
    signature(ctx, x0 + 10, y, with_name=False)


def handwritten_form(ctx: Ctx) -> None:
    """A printed fill-in form completed by hand: labels on underlines, handwriting values."""
    c, rng = ctx.c, ctx.rng
    s = ctx.size
    hs = int(s * rng.uniform(1.1, 1.35))
    y = letterhead(ctx, TOP, align="center", size=38)
    y = _title(ctx, y + 16, 36)
    x0 = 100

    def field(x: float, yy: float, key: str, line_w: float) -> None:
        b = c.text(x, yy + 10, ctx.lab(key), s, "regular")
        c.line(b[2] + 8, yy + 10 + c.line_height(s), b[2] + 8 + line_w, yy + 10 + c.line_height(s), width=1)
        text, ent, value = ctx.ref.item(key)
        if text:
            c.text(b[2] + 20 + rng.uniform(0, 30), yy + rng.uniform(-6, 4), text, hs, "hand", entity=ent, value=value)

    step = c.line_height(hs) * 1.35
    field(x0, y, "name", 700)
    field(1100, y, "dob", 300)
    y += step
    field(x0, y, "phone", 420)
    if ctx.ref.mrn:
        field(900, y, "mrn", 400)
    y += step
    field(x0, y, "payer", 560)
    y += step
    field(x0, y, "member_id", 420)
    if ctx.ref.group:
        field(1000, y, "group", 300)
    y += step * 1.2
    c.text(x0, y, ctx.lab("proc"), s, "bold")
    y += c.line_height(s) * 1.3
    for o in ctx.ref.orders:
        c.line(x0 + 30, y + c.line_height(hs), c.width - 120, y + c.line_height(hs), width=1)
        ctx.order_text(x0 + 50 + rng.uniform(0, 40), y, o, size=hs, style="hand")
        y += step
    c.text(x0, y, ctx.lab("dx"), s, "bold")
    y += c.line_height(s) * 1.3
    for d in ctx.ref.dx:
        c.line(x0 + 30, y + c.line_height(hs), c.width - 120, y + c.line_height(hs), width=1)
        ctx.dx_text(x0 + 50 + rng.uniform(0, 40), y, d, size=hs, style="hand", code_first=False)
        y += step
    y += 10
    # urgency checkboxes ticked by hand: the ticked word carries the urgency
    c.text(x0, y + 6, ctx.lab("urgency"), s, "bold")
    x = x0 + c.text_width(ctx.lab("urgency"), s, "bold") + 30
    for u, word in (("routine", "Routine"), ("urgent", "Urgent"), ("stat", "STAT")):
        ticked = ctx.ref.urgency == u
        c.checkbox(x, y + 8, 30, ticked, mark=rng.choice(["check", "x"]))
        b = c.text(x + 44, y + 6, word, s, entity="URGENCY" if ticked else None, value=u if ticked else None)
        x = b[2] + 50
    y += step * 1.2
    field(x0, y, "provider", 620)
    y += step
    if ctx.ref.npi:
        field(x0, y, "npi", 360)
    if ctx.ref.fax:
        field(900, y, "fax", 380)
    y += step
    if ctx.ref.referral_date:
        field(x0, y, "date", 360)
    signature(ctx, 900, y + 10, with_name=False)


def two_column_form(ctx: Ctx) -> None:
    c, rng = ctx.c, ctx.rng
    s = ctx.size
    y = letterhead(ctx, TOP, align=rng.choice(["left", "right"]), size=40)
    y = _title(ctx, y + 10, 36, center=False)
    mid = c.width // 2
    c.line(mid - 20, y, mid - 20, y + 1250, width=2)
    yl = section_bar(ctx, y, "Patient", style="plain")
    for key in ["name", "dob", "phone", "mrn"]:
        if key != "mrn" or ctx.ref.mrn:
            c.text(100, yl, ctx.lab(key), int(s * 0.8), "bold")
            yl += c.line_height(int(s * 0.8)) * 1.1
            if not ctx.val(120, yl, key):
                c.line(120, yl + s, mid - 60, yl + s, width=1)
            yl += c.line_height(s) * 1.3
    yl += 20
    c.text(100, yl, "Insurance", s, "bold")
    yl += c.line_height(s) * 1.5
    for key in ["payer", "member_id", "group"]:
        if key != "group" or ctx.ref.group:
            c.text(100, yl, ctx.lab(key), int(s * 0.8), "bold")
            yl += c.line_height(int(s * 0.8)) * 1.1
            ctx.val(120, yl, key)
            yl += c.line_height(s) * 1.3
    xr = mid + 10
    yr = y
    c.text(xr, yr, rng.choice(["Referring Provider", "From", "Ordering Clinician"]), s, "bold")
    yr += c.line_height(s) * 1.5
    ctx.val(xr, yr, "provider")
    yr += c.line_height(s) * 1.3
    if ctx.ref.npi:
        yr = ctx.kv(xr, yr, "npi")
    if ctx.ref.fax:
        yr = ctx.kv(xr, yr, "fax")
    yr += 20
    c.text(xr, yr, ctx.lab("proc", colon=False), s, "bold")
    yr += c.line_height(s) * 1.4
    for o in ctx.ref.orders:
        ctx.order_text(xr + 20, yr, o, size=int(s * 0.92))
        yr += c.line_height(s) * 1.3
    yr += 10
    c.text(xr, yr, ctx.lab("dx", colon=False), s, "bold")
    yr += c.line_height(s) * 1.4
    for d in ctx.ref.dx:
        if ctx.ref.show_icd:
            ctx.c.text(xr + 20, yr, d.written_code, int(s * 0.92), entity="ICD10", value=d.code)
            yr += c.line_height(s) * 1.15
        yr = ctx.c.paragraph(xr + 20, yr, c.width - 110 - xr - 20, [(d.text, "DIAGNOSIS", d.text)], size=int(s * 0.92))
    yr += 10
    if ctx.ref.has("urgency"):
        yr = ctx.kv(xr, yr, "urgency")
    if ctx.ref.has("date"):
        yr = ctx.kv(xr, yr, "date")
    signature(ctx, 100, max(yl, yr) + 60, with_name=False)


def half_page_form(ctx: Ctx) -> None:
    """A compact half-sheet form in small type; the lower half is blank or 'office use only'."""
    c, rng = ctx.c, ctx.rng
    s = max(20, int(ctx.size * 0.8))
    ctx.size = s
    y = letterhead(ctx, TOP, align="left", size=32)
    c.text(100, y, rng.choice(["CARDIOLOGY REFERRAL", "Referral Slip", "Quick Referral"]), int(s * 1.3), "bold")
    y += c.line_height(int(s * 1.3)) * 1.4
    col = [100, 620, 1140]
    keys = [k for k in ["name", "dob", "phone", "payer", "member_id", "group", "provider", "npi", "fax", "mrn", "date", "urgency"] if ctx.ref.has(k)]
    row_y = y
    for i, key in enumerate(keys):
        x = col[i % 3]
        if i % 3 == 0 and i:
            row_y += c.line_height(s) * 2.4
        c.text(x, row_y, ctx.lab(key, colon=False), int(s * 0.8), "bold")
        text, ent, value = ctx.ref.item(key)
        if c.text_width(text, s) > 500:
            c.text(x, row_y + c.line_height(int(s * 0.8)), text, int(s * 0.75), entity=ent, value=value)
        else:
            ctx.val(x, row_y + c.line_height(int(s * 0.8)), key, s)
    y = row_y + c.line_height(s) * 2.6
    c.text(100, y, ctx.lab("proc") + " / " + ctx.lab("dx", colon=False), s, "bold")
    y += c.line_height(s) * 1.3
    for o in ctx.ref.orders:
        ctx.order_text(120, y, o)
        y += c.line_height(s) * 1.25
    for d in ctx.ref.dx:
        ctx.dx_text(120, y, d)
        y += c.line_height(s) * 1.25
    y = max(y + 20, c.height * 0.5)
    if rng.random() < 0.6:
        # perforation / tear line, then the receiving office's area
        for x in range(100, c.width - 100, 40):
            c.line(x, y, x + 20, y, width=2)
        c.text(100, y + 20, "FOR OFFICE USE ONLY", int(s * 0.9), "bold")
        c.text(100, y + 70, "Auth #: ____________   Appt date: ___________   Scheduled by: _______", int(s * 0.9))


def patient_block_bottom(ctx: Ctx) -> None:
    """Order details first; the patient and insurance block sits at the bottom of the page."""
    c, rng = ctx.c, ctx.rng
    s = ctx.size
    y = letterhead(ctx, TOP, align=rng.choice(["center", "right"]), size=40)
    y = _title(ctx, y + 10)
    if ctx.ref.has("date"):
        y = ctx.kv(100, y, "date")
    c.text(100, y, ctx.lab("proc"), s, "bold")
    y = _services(ctx, 140, y + c.line_height(s) * 1.3, bullet=rng.choice(["-", "*", ""]))
    y += 10
    c.text(100, y, ctx.lab("dx"), s, "bold")
    y = _diagnoses(ctx, 140, y + c.line_height(s) * 1.3)
    if ctx.ref.has("urgency"):
        y = ctx.kv(100, y + 10, "urgency")
    y += 20
    y = ctx.kv(100, y, "provider")
    if ctx.ref.npi:
        y = ctx.kv(100, y, "npi")
    if ctx.ref.fax:
        y = ctx.kv(100, y, "fax")
    signature(ctx, 100, y + 10, with_name=False)
    # patient block at the bottom
    yb: float = c.height - 560
    c.rect(90, yb - 20, c.width - 90, c.height - 130, width=3)
    c.text(110, yb, rng.choice(["PATIENT DEMOGRAPHICS", "Patient / Insurance", "PATIENT"]), s, "bold")
    yb += c.line_height(s) * 1.5
    col2 = c.width // 2 + 20
    ya = ctx.kv(110, yb, "name")
    ctx.kv(col2, yb, "dob")
    yb = ya
    ya = ctx.kv(110, yb, "phone")
    if ctx.ref.mrn:
        ctx.kv(col2, yb, "mrn")
    yb = ya
    yb = ctx.kv(110, yb, "payer")
    ya = ctx.kv(110, yb, "member_id")
    if ctx.ref.group:
        ctx.kv(col2, yb, "group")
