"""reportlab font registration for text-layer PDFs (one registration per face and process)."""

from __future__ import annotations

from functools import lru_cache

from cardio_intake.corpus.fonts import FONT_ROOT


@lru_cache(maxsize=64)
def reportlab_font(rel_path: str) -> str:
    """Register the TrueType face at ``rel_path`` with reportlab and return its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = rel_path.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace(" ", "")
    pdfmetrics.registerFont(TTFont(name, str(FONT_ROOT / rel_path)))
    return name
