"""Member IDs mended to the payer's ID shapes (extraction/member_ids.py) and where fields use it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from cardio_intake import config
from cardio_intake.extraction.entities import Span, spans_to_fields
from cardio_intake.extraction.member_ids import fits, mend_member_id, shapes_for_payer
from cardio_intake.extraction.normalize import normalize_field
from cardio_intake.rules.models import Payer, PayersFile


@pytest.mark.parametrize(
    ("read", "shapes", "expected"),
    [
        ("HO6470688", ("H########",), "H06470688"),  # O for 0 where a digit must be
        ("0GH360842016", ("@@@#########", "R########"), "OGH360842016"),  # 0 for O in a letter prefix
        ("ARE9-RJ4-UJ65", ("#@*#@*#@@##",), "4RE9-RJ4-UJ65"),  # MBI: its first character is a digit
        ("U11591I44 03", ("U########", "U##########"), "U11591144 03"),  # the space stays where it was
        ("0SC12345678", ("OSC########",), "OSC12345678"),  # a literal prefix read as a digit
        ("wl23456789", ("W#########",), "W123456789"),  # lower-case slips
    ],
)
def test_a_slip_is_mended_to_the_one_shape_it_fits(read: str, shapes: tuple[str, ...], expected: str) -> None:
    assert mend_member_id(read, shapes) == expected


@pytest.mark.parametrize(
    ("read", "shapes"),
    [
        ("H06470688", ("H########",)),  # already fits
        ("H0647068", ("H########",)),  # one character short: no confusion explains a missing one
        ("1503473983", ("D#########",)),  # "1" does not look like "D"
        ("H06470€88", ("H########",)),  # a character no confusion explains ("%" is one: SYMBOL_AS_DIGIT)
        ("AB1234SC", ()),  # a payer without shapes
        # nine characters two shapes read differently (Medi-Cal "9#######@", Texas "#########"): a person decides
        ("9I234567S", ("9#######@", "#########")),
    ],
)
def test_what_no_single_shape_explains_is_kept_as_read(read: str, shapes: tuple[str, ...]) -> None:
    assert mend_member_id(read, shapes) == read


def test_two_shapes_reading_it_differently_leave_it_alone() -> None:
    # a reading that fits one shape as read is never mended to another
    assert mend_member_id("S12345678", ("#########", "@########")) == "S12345678"  # fits the second as read
    assert mend_member_id("S1234567B", ("#########", "@#######@")) == "S1234567B"
    assert mend_member_id("S1234567B", ("#########",)) == "512345678"


def test_fits_is_exact_per_position() -> None:
    assert fits("W123456789", "W#########")
    assert not fits("W12345678", "W#########")
    assert not fits("V123456789", "W#########")
    assert fits("1EG4TE5MK73", "#@*#@*#@@##")


def test_the_directory_gives_each_payer_its_shapes() -> None:
    assert shapes_for_payer("Humana Gold Plus") == ("H########",)
    assert shapes_for_payer("Aetna Medicare Advantage") == ("W#########",)  # the carrier's IDs, not an MBI
    assert shapes_for_payer("Medicare Part B") == ("#@*#@*#@@##",)
    assert shapes_for_payer("Geisinger Health Plan") == ()  # not on file
    assert shapes_for_payer(None) == ()


def test_every_shape_on_file_is_well_formed() -> None:
    raw = yaml.safe_load((config.POLICIES_DIR / "payers.yaml").read_text(encoding="utf-8"))
    directory = PayersFile.model_validate(raw)
    assert sum(bool(p.member_id_formats) for p in directory.payers) >= 10
    for payer in directory.payers:
        for shape in payer.member_id_formats:
            # each shape is one a real ID of the payer's can be: at least six characters, three digits
            assert len(shape) >= 6 and sum(c in "#0123456789" for c in shape) >= 3, (payer.id, shape)


def test_a_shape_with_other_characters_is_refused() -> None:
    with pytest.raises(ValidationError, match="member_id_formats"):
        Payer.model_validate({"id": "x", "name": "X", "aliases": ["X"], "member_id_formats": ["W#########?"],
                              "plans": [{"id": "c", "name": "C", "plan_type": "commercial"}]})


def _span(etype: str, text: str, conf: float = 0.9) -> Span:
    return Span(type=etype, text=text, page=1, bbox=(0, 0, 1, 1), confidence=conf, word_indices=[0])


def test_fields_mend_the_member_id_to_the_payer_read_on_the_referral() -> None:
    fx = spans_to_fields([_span("PAYER", "Humana"), _span("MEMBER_ID", "HO6470688")])
    assert fx.fields.member_id == "H06470688"
    # another payer's shapes do not explain "HO6..." (Aetna wants W and nine digits): kept as read
    fx = spans_to_fields([_span("PAYER", "Aetna"), _span("MEMBER_ID", "HO6470688")])
    assert fx.fields.member_id == "HO6470688"
    # no payer read: nothing to mend against
    assert spans_to_fields([_span("MEMBER_ID", "HO6470688")]).fields.member_id == "HO6470688"


def test_quotes_and_dots_around_an_id_are_specks() -> None:
    assert normalize_field("member_id", "\u2018549799152139.").value == "549799152139"
    assert normalize_field("member_id", "'W123456789'").value == "W123456789"


def test_policies_dir_argument_reads_another_directory(tmp_path: Path) -> None:
    (tmp_path / "payers.yaml").write_text(yaml.safe_dump({"payers": [{
        "id": "acme", "name": "Acme Health", "aliases": ["Acme"], "member_id_formats": ["AC######"],
        "plans": [{"id": "c", "name": "C", "plan_type": "commercial"}], "default_plan": "c"}]}), encoding="utf-8")
    assert shapes_for_payer("Acme", tmp_path) == ("AC######",)
    assert shapes_for_payer("Humana", tmp_path) == ()


def test_a_reading_of_the_payers_shape_wins_over_a_more_confident_one_without() -> None:
    # an MRN ("E" and seven digits) tagged as the member ID, more confident than the real one
    spans = [_span("PAYER", "UnitedHealthcare"), _span("MEMBER_ID", "E1377191", 0.86), _span("MEMBER_ID", "305452509", 0.43)]
    assert spans_to_fields(spans).fields.member_id == "305452509"
    # no reading of the payer's shape: the most confident one, as before
    spans = [_span("PAYER", "Humana"), _span("MEMBER_ID", "E1377191", 0.86), _span("MEMBER_ID", "305452509", 0.43)]
    assert spans_to_fields(spans).fields.member_id == "E1377191"


def test_a_member_id_unlike_its_payers_shapes_goes_to_review() -> None:
    from cardio_intake.extraction.calibration import Calibration
    from cardio_intake.extraction.review import review_reasons
    from cardio_intake.schemas import IntentPrediction

    intents = [IntentPrediction(label="echo_tte", confidence=0.99)]
    base = [_span("PATIENT_NAME", "Ana Diaz"), _span("PATIENT_DOB", "01/02/1960"), _span("PAYER", "Humana")]
    odd = spans_to_fields([*base, _span("MEMBER_ID", "7701370")])
    assert odd.fields.member_id == "7701370" and odd.unshaped == ["member_id"]  # kept for the reviewer
    assert "format:member_id" in review_reasons(odd, intents, Calibration())
    good = spans_to_fields([*base, _span("MEMBER_ID", "H06470688")])
    assert good.unshaped == [] and "format:member_id" not in review_reasons(good, intents, Calibration())
    # a payer without shapes says nothing about its IDs
    other = spans_to_fields([*base[:2], _span("PAYER", "Geisinger"), _span("MEMBER_ID", "7701370")])
    assert other.unshaped == []


def test_known_payer_resolves_through_the_directory() -> None:
    from cardio_intake.extraction.member_ids import known_payer

    assert known_payer("Devoted Health")
    assert known_payer("UHC Medicare Advantage")
    assert not known_payer("BC")
    assert not known_payer("Fecha de nacimiento")


def test_the_one_word_of_the_payers_shape_is_the_member_id() -> None:
    from cardio_intake.extraction.member_ids import shaped_word

    nine = ("#########",)
    assert shaped_word("024141495 5709299", nine) == "024141495"  # ran on into the next number
    assert shaped_word("024141495", nine) == "024141495"
    assert shaped_word("024141495 570929911", nine) == "024141495 570929911"  # two of its shape: a person decides
    assert shaped_word("U37650596 04", ("U########", "U##########")) == "U37650596 04"  # the whole has a shape
    assert shaped_word("024141495 5709299", ()) == "024141495 5709299"  # a payer without shapes


def test_spaces_ocr_put_inside_an_id_of_the_payers_shape_are_closed_up() -> None:
    from cardio_intake.extraction.member_ids import closed_up

    assert closed_up("W44 1898444", ("W#########",)) == "W441898444"
    cigna = ("U########", "U##########")
    assert closed_up("U65486350 02", cigna) == "U65486350 02"  # the suffix's space is printed
    assert closed_up("U654 86350 02", cigna) == "U65486350 02"
    assert closed_up("W44 18984", ("W#########",)) == "W44 18984"  # not of the shape: kept as read
    assert closed_up("W44 1898444", ()) == "W44 1898444"  # a payer without shapes
    fx = spans_to_fields([_span("PAYER", "Aetna"), _span("MEMBER_ID", "W44 1898444")])
    assert fx.fields.member_id == "W441898444"


def test_a_heavy_five_read_as_s5_is_read_without_the_s_where_that_fits_the_shape() -> None:
    assert mend_member_id("WS501734729", ("W#########",)) == "W501734729"
    assert mend_member_id("5YGS5RTOVU70", ("#@*#@*#@@##",)) == "5YG5RT0VU70"  # and the MBI's O for 0 mended
    # no S before a 5: kept as read
    assert mend_member_id("WX501734729", ("W#########",)) == "WX501734729"
    assert mend_member_id("WS401734729", ("W#########",)) == "WS401734729"  # an S before a 4 is no ghost


def test_a_telephone_number_is_no_member_id() -> None:
    for phone in ("1-720-000-0681", "720-555-0134", "720 555 0134"):
        assert normalize_field("member_id", phone).value is None, phone
    assert normalize_field("member_id", "642967222-03").value == "642967222-03"  # an ID with a suffix stays
    assert normalize_field("member_id", "5K68-ED4-UH19").value == "5K68-ED4-UH19"  # an MBI as printed


def test_a_symbol_read_for_a_digit_is_read_through_the_payers_shape() -> None:
    from cardio_intake.extraction.member_ids import symbol_read

    anthem = ("@@@#########", "R########")
    assert symbol_read("PNB35696900%", anthem) == "PNB356969009"  # "%" for a 9
    assert symbol_read("W5°07]2440", ("W#########",)) == "W500712440"  # "°" for 0, "]" for 1
    assert symbol_read("O4€626142042", ("OSC########",)) is None  # a symbol no digit explains
    assert symbol_read("PNB356969009", anthem) is None  # no symbol: nothing for this rule to read
    assert symbol_read("PNB35696900%", ()) is None  # a payer without shapes
    # in the fields: the symbol reading is the member ID where no reading has the shape...
    fx = spans_to_fields([_span("PAYER", "Anthem Medicare Advantage"), _span("MEMBER_ID", "PNB35696900%")])
    assert fx.fields.member_id == "PNB356969009"
    assert spans_to_fields([_span("MEMBER_ID", "PNB35696900%")]).fields.member_id is None  # no payer: no ID
    # ...and not where another reading has it: "RIGG°G776" read whole is not the clean "R98808976"
    spans = [_span("PAYER", "Highmark BCBS"), _span("MEMBER_ID", "RIGG°G776", 0.95), _span("MEMBER_ID", "R98808976", 0.6)]
    assert spans_to_fields(spans).fields.member_id == "R98808976"
