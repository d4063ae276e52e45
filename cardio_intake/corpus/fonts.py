"""Fonts for the corpus renderer, from Debian font packages (see APT_PACKAGES in the Makefile).

A :class:`FontSet` is one typeface family (regular, bold, italic) plus a handwriting face, picked per
page so that one referral source's form looks consistent. Only TrueType (.ttf) faces are eligible for
text-layer PDFs because reportlab cannot embed CFF-flavoured OpenType faces.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_ROOT = Path("/usr/share/fonts")

# (regular, bold, italic) per typeface, relative to FONT_ROOT; a face whose files are missing is skipped.
_FAMILIES: dict[str, tuple[str, str, str]] = {
    "dejavu_sans": (
        "truetype/dejavu/DejaVuSans.ttf",
        "truetype/dejavu/DejaVuSans-Bold.ttf",
        "truetype/dejavu/DejaVuSans-Oblique.ttf",
    ),
    "dejavu_condensed": (
        "truetype/dejavu/DejaVuSansCondensed.ttf",
        "truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
        "truetype/dejavu/DejaVuSansCondensed-Oblique.ttf",
    ),
    "dejavu_serif": (
        "truetype/dejavu/DejaVuSerif.ttf",
        "truetype/dejavu/DejaVuSerif-Bold.ttf",
        "truetype/dejavu/DejaVuSerif-Italic.ttf",
    ),
    "liberation_sans": (
        "truetype/liberation/LiberationSans-Regular.ttf",
        "truetype/liberation/LiberationSans-Bold.ttf",
        "truetype/liberation/LiberationSans-Italic.ttf",
    ),
    "liberation_narrow": (
        "truetype/liberation/LiberationSansNarrow-Regular.ttf",
        "truetype/liberation/LiberationSansNarrow-Bold.ttf",
        "truetype/liberation/LiberationSansNarrow-Italic.ttf",
    ),
    "liberation_serif": (
        "truetype/liberation/LiberationSerif-Regular.ttf",
        "truetype/liberation/LiberationSerif-Bold.ttf",
        "truetype/liberation/LiberationSerif-Italic.ttf",
    ),
    "liberation_mono": (
        "truetype/liberation/LiberationMono-Regular.ttf",
        "truetype/liberation/LiberationMono-Bold.ttf",
        "truetype/liberation/LiberationMono-Italic.ttf",
    ),
    "freesans": (
        "truetype/freefont/FreeSans.ttf",
        "truetype/freefont/FreeSansBold.ttf",
        "truetype/freefont/FreeSansOblique.ttf",
    ),
    "freeserif": (
        "truetype/freefont/FreeSerif.ttf",
        "truetype/freefont/FreeSerifBold.ttf",
        "truetype/freefont/FreeSerifItalic.ttf",
    ),
    "freemono": (
        "truetype/freefont/FreeMono.ttf",
        "truetype/freefont/FreeMonoBold.ttf",
        "truetype/freefont/FreeMonoOblique.ttf",
    ),
    "carlito": (
        "truetype/crosextra/Carlito-Regular.ttf",
        "truetype/crosextra/Carlito-Bold.ttf",
        "truetype/crosextra/Carlito-Italic.ttf",
    ),
    "courier_prime": (
        "opentype/courier-prime/Courier Prime.otf",
        "opentype/courier-prime/Courier Prime Bold.otf",
        "opentype/courier-prime/Courier Prime Italic.otf",
    ),
}
_HANDWRITING: tuple[str, ...] = (
    "truetype/fifthhorseman/dkg.ttf",
    "truetype/humor-sans/Humor-Sans.ttf",
    "opentype/comic-neue/ComicNeue-Regular.otf",
    "opentype/comic-neue/ComicNeue-Italic.otf",
)

STYLE_GROUPS: dict[str, tuple[str, ...]] = {
    "sans": ("dejavu_sans", "dejavu_condensed", "liberation_sans", "liberation_narrow", "freesans", "carlito"),
    "serif": ("dejavu_serif", "liberation_serif", "freeserif"),
    "mono": ("liberation_mono", "freemono", "courier_prime"),
}


def _exists(rel: str) -> bool:
    return (FONT_ROOT / rel).is_file()


@lru_cache(maxsize=1)
def available_families() -> dict[str, tuple[str, str, str]]:
    found = {k: v for k, v in _FAMILIES.items() if all(_exists(p) for p in v)}
    if not found:
        raise RuntimeError(
            f"no fonts found under {FONT_ROOT}: install the corpus fonts (`make system-deps`, "
            "e.g. apt-get install fonts-dejavu-core fonts-liberation)"
        )
    return found


@lru_cache(maxsize=1)
def available_handwriting() -> tuple[str, ...]:
    return tuple(p for p in _HANDWRITING if _exists(p))


@dataclass(frozen=True)
class FontSet:
    """The faces one page is drawn with (paths relative to FONT_ROOT)."""

    name: str
    regular: str
    bold: str
    italic: str
    hand: str

    def path(self, style: str) -> str:
        return {"regular": self.regular, "bold": self.bold, "italic": self.italic, "hand": self.hand}[style]


def pick_fontset(rng: random.Random, group: str = "sans", ttf_only: bool = False) -> FontSet:
    """A typeface from ``group`` (sans, serif, mono) and a handwriting face."""
    fams = available_families()
    names = [n for n in STYLE_GROUPS[group] if n in fams] or sorted(fams)
    if ttf_only:
        names = [n for n in names if fams[n][0].endswith(".ttf")] or [n for n in sorted(fams) if fams[n][0].endswith(".ttf")]
    name = rng.choice(names)
    reg, bold, ital = fams[name]
    hands = [h for h in available_handwriting() if not ttf_only or h.endswith(".ttf")] or [ital]
    return FontSet(name=name, regular=reg, bold=bold, italic=ital, hand=rng.choice(hands))


@lru_cache(maxsize=512)
def pil_font(rel_path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_ROOT / rel_path), size)
