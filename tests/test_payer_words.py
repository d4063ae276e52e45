"""OCR repair of payer names against the payer directory's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardio_intake.extraction.normalize import normalize_field
from cardio_intake.extraction.payer_words import directory_words, repair_payer_text


@pytest.mark.parametrize(
    ("read", "repaired"),
    [
        ("Ble Coss Ble Shel'", "Blue Cross Blue Shield"),
        ("NY Medicai", "NY Medicaid"),
        ("Actna Medicure Advantage", "Aetna Medicare Advantage"),
        ("REG! ENCE BLUE SHIELD", "REGENCE BLUE SHIELD"),  # split word joined, printed capitals kept
        ("UNITEDHEALTHCARE COMMONITY PLAN", "UNITEDHEALTHCARE COMMUNITY PLAN"),
    ],
)
def test_ocr_slips_mended_from_the_real_directory(read: str, repaired: str) -> None:
    assert repair_payer_text(read) == repaired
    assert normalize_field("payer", read).value == repaired


@pytest.mark.parametrize("text", ["Aetna PPO", "Cigna Open Access Plus", "Medicare (CMS)", "Medi-Cal", "Geisinger Health Plan"])
def test_known_and_unknown_payers_kept_as_read(text: str) -> None:
    assert repair_payer_text(text) == text


def test_vocabulary_comes_from_the_site_directory(tmp_path: Path) -> None:
    (tmp_path / "payers.yaml").write_text(
        "payers:\n  - id: zz\n    name: Zenith Mutual\n    aliases: [Zenith]\n    plans:\n"
        "      - id: gold\n        name: Gold Choice\n        plan_type: commercial\n        aliases: [Gold Choice]\n",
        encoding="utf-8",
    )
    words = directory_words(tmp_path)
    assert set(words) == {"zenith", "mutual", "gold", "choice"}
    assert repair_payer_text("Zenlth Mutua1 Gold Cholce", words) == "Zenith Mutual Gold Choice"
    assert repair_payer_text("Aetna", words) == "Aetna"  # not in this site's directory: too far from its words
