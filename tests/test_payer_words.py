"""OCR repair of payer names against the payer directory's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardio_intake.extraction.normalize import normalize_field
from cardio_intake.extraction.payer_words import directory_phrases, directory_words, repair_payer_text


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


@pytest.mark.parametrize(
    ("read", "repaired"),
    [
        ("Medicare Pact B", "Medicare Part B"),  # "pact" is too far from "part" alone, not in the phrase
        ("Cigna Open Access Phis", "Cigna Open Access Plus"),  # carrier + plan, as forms print them
        ("HUMANA MEDICARE ADVANTAGS", "HUMANA MEDICARE ADVANTAGE"),
    ],
)
def test_slips_too_large_for_a_word_mended_against_whole_names(read: str, repaired: str) -> None:
    assert repair_payer_text(read) == repaired


def test_a_directory_name_with_its_spaces_lost_is_spaced_as_the_directory_writes_it() -> None:
    assert repair_payer_text("MedicarePartB") == "Medicare Part B"
    assert repair_payer_text("MEDICAREPARTB") == "MEDICARE PART B"
    assert repair_payer_text("UnitedHealthcare") == "UnitedHealthcare"  # spelled so in the directory
    assert repair_payer_text("United Healthcare") == "United Healthcare"  # more spaces than the first spelling: kept


@pytest.mark.parametrize("text", ["Medicare Part 8", "Blue Cross Blue Shield of Texas", "Movie Bart", "REG"])
def test_ambiguous_or_distant_texts_are_not_replaced_as_a_whole(text: str) -> None:
    # "Part 8" is as close to Part A as to Part B; a plan of another state is not this one
    assert repair_payer_text(text) == text


def test_whole_names_include_carrier_with_plan() -> None:
    phrases = set(directory_phrases().values())
    assert {"Cigna Open Access Plus", "Medicare Part B", "Medicare Part A"} <= phrases
    assert "UHC UHC Choice Plus" not in phrases  # a plan already named after its carrier is not doubled


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
    phrases = directory_phrases(tmp_path)
    assert "Zenith Mutual Gold Choice" in phrases.values()
    assert repair_payer_text("Zenlth Mutua1 Gold Cholce", words, phrases) == "Zenith Mutual Gold Choice"
    assert repair_payer_text("Zenith Mutual Gold Chice", words, phrases) == "Zenith Mutual Gold Choice"
    assert repair_payer_text("Aetna", words, phrases) == "Aetna"  # not in this site's directory: too far from its words
