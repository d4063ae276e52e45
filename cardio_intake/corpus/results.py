"""Test-result pages: a 12-lead ECG strip drawing, a lab table, or a prior echo / stress report
(mtsamples report text)."""

from __future__ import annotations

import math

from cardio_intake.corpus import notes
from cardio_intake.corpus.layouts.common import TOP, Ctx


def _header(ctx: Ctx, title: str, s: int) -> float:
    c, ref = ctx.c, ctx.ref
    y = TOP
    c.text(100, y, title, int(s * 1.3), "bold")
    y += c.line_height(int(s * 1.3)) * 1.4
    x = 100.0
    for key in ("name", "dob", "mrn"):
        if ref.has(key):
            b = c.text(x, y, ctx.lab(key), s, "bold")
            b = ctx.val(b[2] + 10, y, key, s) or b
            x = b[2] + 40
    return y + c.line_height(s) * 1.8


def ecg(ctx: Ctx) -> None:
    c, rng = ctx.c, ctx.rng
    s = max(22, int(ctx.size * 0.85))
    y = _header(ctx, rng.choice(["12-Lead ECG", "ELECTROCARDIOGRAM", "Resting EKG"]), s)
    rate = rng.randint(48, 118)
    pr, qrs, qt = rng.randint(120, 220), rng.randint(76, 150), rng.randint(340, 470)
    c.text(100, y, f"Vent. rate {rate} BPM   PR interval {pr} ms   QRS duration {qrs} ms   QT/QTc {qt}/{qt + rng.randint(0, 40)} ms", s)
    y += c.line_height(s) * 1.3
    interp = rng.choice(["Normal sinus rhythm", "Sinus bradycardia", "Atrial fibrillation with controlled ventricular response",
                         "Sinus rhythm with first degree AV block", "Left bundle branch block", "Nonspecific ST-T wave abnormality"])  # fmt: skip
    c.text(100, y, interp, s, "bold")
    y += c.line_height(s) * 1.2
    c.text(100, y, rng.choice(["Abnormal ECG", "Borderline ECG", "Otherwise normal ECG"]) + "  -  unconfirmed", s)
    y += c.line_height(s) * 2
    # grid and four rhythm strips
    x0, x1 = 100, c.width - 100
    strip_h = 250
    for row in range(4):
        top = y + row * (strip_h + 30)
        for gx in range(x0, x1 + 1, 40):
            c.line(gx, top, gx, top + strip_h, width=1, gray=170)
        for gy in range(int(top), int(top + strip_h) + 1, 40):
            c.line(x0, gy, x1, gy, width=1, gray=170)
        lead = ["I  aVR  V1  V4", "II  aVL  V2  V5", "III  aVF  V3  V6", "II (rhythm)"][row]
        c.text(x0 + 8, top + 6, lead, int(s * 0.8), "bold")
        base = top + strip_h * 0.6
        period = 60.0 / rate * 200  # px per beat at 25 mm/s on a ~200 px/s strip
        pts = []
        x = float(x0)
        irregular = "fibrillation" in interp
        next_beat = x0 + rng.uniform(20, period)
        while x < x1:
            dx = x - next_beat
            v = 0.0
            if -40 < dx < -20:
                v = -12 * math.sin((dx + 40) / 20 * math.pi)  # P wave
            elif -6 < dx < 0:
                v = 15
            elif 0 <= dx < 6:
                v = -110
            elif 6 <= dx < 12:
                v = 30
            elif 40 < dx < 90:
                v = -22 * math.sin((dx - 40) / 50 * math.pi)  # T wave
            elif dx >= 90:
                next_beat += period * (rng.uniform(0.7, 1.3) if irregular else 1.0)
            if irregular:
                v += rng.uniform(-4, 4)
            pts.append((x, base + v))
            x += 3
        c.polyline(pts, width=3)


_LABS = (
    ("Sodium", "mmol/L", (134, 146), "136-145"), ("Potassium", "mmol/L", (3.3, 5.4), "3.5-5.1"),
    ("Creatinine", "mg/dL", (0.6, 2.1), "0.6-1.2"), ("BUN", "mg/dL", (7, 38), "7-20"),
    ("Glucose", "mg/dL", (70, 210), "70-99"), ("Hemoglobin", "g/dL", (9.5, 16.5), "12.0-16.0"),
    ("Total cholesterol", "mg/dL", (130, 290), "<200"), ("LDL cholesterol", "mg/dL", (55, 190), "<100"),
    ("HDL cholesterol", "mg/dL", (28, 80), ">40"), ("Triglycerides", "mg/dL", (60, 380), "<150"),
    ("BNP", "pg/mL", (10, 1400), "<100"), ("Troponin I (hs)", "ng/L", (2, 60), "<14"),
    ("TSH", "mIU/L", (0.3, 6.5), "0.4-4.0"), ("HbA1c", "%", (5.0, 9.8), "<5.7"),
)  # fmt: skip


def labs(ctx: Ctx) -> None:
    c, rng = ctx.c, ctx.rng
    s = max(22, int(ctx.size * 0.9))
    y = _header(ctx, rng.choice(["Laboratory Results", "LAB REPORT", "Chemistry / Lipid Panel"]), s)
    c.text(100, y, f"Collected: {rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}   Status: Final", s)
    y += c.line_height(s) * 1.8
    cols = [100, 620, 900, 1100, 1400]
    for x, h in zip(cols, ["Test", "Result", "Flag", "Units", "Reference"], strict=False):
        c.text(x, y, h, s, "bold")
    y += c.line_height(s) * 1.2
    c.hrule(y, width=2)
    y += 14
    for name, unit, (lo, hi), ref in rng.sample(_LABS, rng.randint(6, 12)):
        val = rng.uniform(lo, hi)
        text = f"{val:.1f}" if hi < 20 else str(round(val))
        flag = "H" if rng.random() < 0.25 else ""
        for x, t in zip(cols, [name, text, flag, unit, ref], strict=False):
            if t:
                c.text(x, y, t, s, "bold" if (flag and t == text) else "regular")
        y += c.line_height(s) * 1.4


def echo_report(ctx: Ctx) -> None:
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = max(22, int(ctx.size * 0.85))
    pool = notes.reports()
    note = pool[(ref.note_idx * 7 + 3) % len(pool)]
    y = _header(ctx, note.sample_name.split(" - ")[0].upper(), s)
    bottom = c.height - 200
    for text, is_header in note.paragraphs:
        if y > bottom - 60:
            break
        if is_header:
            c.text(100, y, text, s, "bold")
            y += c.line_height(s) * 1.25
        else:
            y = c.paragraph(100, y, c.width - 200, [(text, None, None)], s, max_y=bottom)
    c.text(100, min(y + 30, c.height - 150), rng.choice(["Electronically signed", "Interpreting physician on file", "Final report"]), s, "italic")
