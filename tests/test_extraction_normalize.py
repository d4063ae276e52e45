"""Field normalizers: table-driven edge cases from real fax variation."""

from __future__ import annotations

from datetime import date

import pytest

from cardio_intake.extraction.normalize import (
    cpt_intent_conflicts,
    normalize_cpt,
    normalize_date,
    normalize_field,
    normalize_icd10,
    normalize_name,
    normalize_npi,
    normalize_phone,
    normalize_urgency,
    npi_check_digit_ok,
)

TODAY = date(2026, 11, 10)


@pytest.mark.parametrize(
    "text",
    ["03/14/1952", "3-14-52", "March 14, 1952", "14 Mar 1952", "1952-03-14", "Mar. 14th, 1952",
     "DOB: 03/14/1952", "O3/l4/1952", "19520314", "3.14.52", "14/03/1952", "14-MAR-1952", "03 / 14 / 1952"],
)
def test_dob_formats(text: str) -> None:
    assert normalize_date(text, "dob", TODAY).value == date(1952, 3, 14)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("29-Oet-1933", date(1933, 10, 29)),  # OCR-damaged month names
        ("dune 22, 1975", date(1975, 6, 22)),
        ("Novambar 24, 1957", date(1957, 11, 24)),
        ("Smarch 14, 1952", date(1952, 3, 14)),
        ("01:14-1935", date(1935, 1, 14)),  # "/" read as ":"
        ("04 03 1966", date(1966, 4, 3)),  # separators lost
        ("8/28/37'", date(1937, 8, 28)),  # stray marks around the value
        ("Feb 9,.2026", date(2026, 2, 9)),
        ("2026. 07-22", date(2026, 7, 22)),
        ("2026-05-21-", date(2026, 5, 21)),
        ("“Feb 9, 1987", date(1987, 2, 9)),  # a speck read as a typographic quote
        ("Nov 20, 196!", date(1961, 11, 20)),  # "!" for a 1 in a digit run
        ("11301942", date(1942, 11, 30)),  # no month 19 of year 1130: month, day, year run together
    ],
)
def test_dates_read_through_ocr_damage(text: str, expected: date) -> None:
    assert normalize_date(text, "referral" if expected.year > 2000 else "dob", TODAY).value == expected


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("3-14-27", "dob", date(1927, 3, 14)),  # 2027 would be in the future for a birth date
        ("3-14-24", "dob", date(2024, 3, 14)),  # an infant: latest century not in the future
        ("3-14-27", "referral", date(2027, 3, 14)),  # referral dates: century nearest today
        ("11/02/26", "referral", date(2026, 11, 2)),
        ("12-01-99", "referral", None),  # 1999 / 2099 both out of range for a referral
        ("02/30/1952", "dob", None),  # no such day
        ("01/01/1890", "dob", None),  # older than 120 years
        ("05/05/2030", "dob", None),  # born in the future
        ("Blorp 14, 1952", "dob", None),  # no month near it
        ("Mav 14, 1952", "dob", None),  # as near March as May: not guessed
        ("May 1984", "dob", None),  # month and year only: not May 19, '84
        ("Aug. 1975", "dob", None),
        ("", "dob", None),
    ],
)
def test_date_two_digit_years_and_range(text: str, kind: str, expected: date | None) -> None:
    result = normalize_date(text, kind, TODAY)  # type: ignore[arg-type]
    assert result.value == expected
    assert (result.reason is None) == (expected is not None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(614) 555-0134", "+16145550134"),
        ("614.555.0134", "+16145550134"),
        ("+1 614 555 0134", "+16145550134"),
        ("1-614-555-0134 ext. 22", "+16145550134"),
        ("Fax: 614-555-0199", "+16145550199"),
        ("6l4-555-Ol34", "+16145550134"),
        ("555-0134", None),  # seven digits: no area code
        ("(014) 555-0134", None),  # area codes never start with 0 or 1
        ("614-155-0134", None),  # nor do exchanges
    ],
)
def test_phone_e164(text: str, expected: str | None) -> None:
    assert normalize_phone(text).value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I48.91", "I48.91"),
        ("I4891", "I48.91"),  # dot re-inserted
        ("i25.10", "I25.10"),
        ("148.91", "I48.91"),  # OCR read the letter I as a one
        ("I10", "I10"),
        ("R00.2", "R00.2"),
        ("ICD-10: I50.22", "I50.22"),
        ("Z99.99", None),  # right shape, not in the CMS code set
        ("I48.9999", None),
        ("I30-I5A", None),  # a block, not a code
        ("hello", None),
    ],
)
def test_icd10_against_code_set(text: str, expected: str | None) -> None:
    result = normalize_icd10(text)
    assert result.value == expected
    if expected is None:
        assert result.reason in ("not_in_code_set", "bad_format")


def test_npi_luhn_with_80840_prefix() -> None:
    assert npi_check_digit_ok("1245319599")  # the CMS example NPI
    assert not npi_check_digit_ok("1245319598")
    # every check digit but one fails: the test is a real check, not a format test
    assert sum(npi_check_digit_ok(f"124531959{d}") for d in range(10)) == 1
    assert normalize_npi("NPI: 1245319599").value == "1245319599"
    assert normalize_npi("1245319598").reason == "bad_check_digit"
    assert normalize_npi("124531959").reason == "wrong_length"
    assert normalize_npi("3245319594").reason == "bad_prefix"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("93306", "93306"), ("93306-26", "93306"), ("CPT 93306", "93306"), ("0075T", "0075T"),
     ("93O06", "93006"), ("9330", None), ("933061", None), ("ABCDE", None)],
)
def test_cpt_format(text: str, expected: str | None) -> None:
    assert normalize_cpt(text).value == expected


def test_cpt_intent_consistency() -> None:
    assert cpt_intent_conflicts(["93306", "99204"], ["echo_tte", "consult"]) == []
    assert cpt_intent_conflicts(["93306", "78452"], ["echo_tte"]) == ["78452"]
    assert cpt_intent_conflicts(["12345"], []) == []  # outside every contract range: not judged


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Alan Whitfield, MD", "Alan Whitfield"),
        ("Gonzalez, Maria L", "Gonzalez, Maria L"),
        ("Maria L. Gonzalez", "Maria L. Gonzalez"),
        ("Whitfield, Alan MD", "Whitfield, Alan"),
        ("Dr Jane Roe, DO, FACC", "Jane Roe"),
        ("John Smith Jr., M.D.", "John Smith Jr."),
        ("Priya Patel, NP-C", "Priya Patel"),
        ("Anh Do", "Anh Do"),  # a surname, not a credential
        ("Ms. Doris   Day", "Doris Day"),
        ("Dr.", None),
        # OCR'd form lines and specks at the edges are not part of a name
        ("/Luis Fischer", "Luis Fischer"),
        ("-Ingrid K. Powell", "Ingrid K. Powell"),
        ("Chen, Robert |", "Chen, Robert"),
        ("Kim, Deborah.-", "Kim, Deborah"),
        ("Smith, J. ,", "Smith, J."),
        ("O'Brien, Ana", "O'Brien, Ana"),
        ("12 /", None),
        # a majority of lowercase words is a label or OCR noise, not a name; particles in a name are not a majority
        ("Maria de la Cruz", "Maria de la Cruz"),
        ("GIUSEPPE DE LA CRUZ", "GIUSEPPE DE LA CRUZ"),
        ("Fecha de nacimiento", None),
        ("ian, ebarvh", None),
        ("de miembro", None),
        # a particle starts a surname, it never ends a name: a label cut at the line's end
        ("Fecha de", None),
        ("Anna von Trapp", "Anna von Trapp"),
    ],
)
def test_names_without_titles(text: str, expected: str | None) -> None:
    assert normalize_name(text).value == expected


def test_lowercase_readings_are_no_name_and_no_payer() -> None:
    from cardio_intake.extraction.normalize import normalize_field

    assert normalize_name("Fecha de nacimiento").reason == "not a name: mostly lowercase words"
    for label_word in ("médico", "de", "que refiere"):
        assert normalize_field("payer", label_word).value is None
    assert normalize_field("payer", "UHC").value == "UHC"
    assert normalize_field("payer", "Aetna").value == "Aetna"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8WRIER2MT22", "8WR1ER2MT22"),  # an MBI's 4th character is a digit: I -> 1
        ("1EGO-TE5-MK73", "1EG0-TE5-MK73"),  # dashes stay; O is no MBI letter, so the 3rd is a zero
        ("1EG4-TE5-MK73", "1EG4-TE5-MK73"),  # valid: untouched
        ("8JC0AP8YH41", "8JC0AP8YH41"),
        ("OSC26142042", "OSC26142042"),  # 11 characters but no MBI however read: untouched
        ("1EGA-TE5-MKB3", "1EGA-TE5-MKB3"),  # the 4th is a letter no slip explains: not an MBI, untouched
    ],
)
def test_mbi_repair(text: str, expected: str) -> None:
    from cardio_intake.extraction.normalize import normalize_field, repair_mbi

    assert repair_mbi(text) == expected
    assert normalize_field("member_id", text).value == expected


def test_names_in_capitals_lose_trailing_lowercase_specks() -> None:
    assert normalize_name("MCCARTHY, ANA pos").value == "MCCARTHY, ANA"
    assert normalize_name("MCCARTHY, ANA pos de").value == "MCCARTHY, ANA"
    assert normalize_name("GIUSEPPE DE LA CRUZ").value == "GIUSEPPE DE LA CRUZ"
    assert normalize_name("Maria de la Cruz").value == "Maria de la Cruz"  # particles of a capitalized name stay


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wood, Daniel pos", "Wood, Daniel"),  # a short lowercase word after a capitalized name is a speck
        ("Jane Doe de", "Jane Doe"),
        ("Alan lee", "Alan lee"),  # one capitalized word: too little to call the other a speck
        ("Tanaka, Matthew 14-Mar", "Tanaka, Matthew"),  # a date read with the name
        ("Robert Smith 1/2/1960 abc", "Robert Smith"),
        ("MARTINE7, OMAR", "MARTINE7, OMAR"),  # a digit in the first word is a slip for a letter: kept
        ("Williams, Gloria 8", "Williams, Gloria B"),  # a middle initial OCR read as a digit
        ("WILLIAMS, GLORIA 8.", "WILLIAMS, GLORIA B."),
        ("Gloria 8", "Gloria"),  # one word before it: a count or a box number, not an initial
        ("Robert Smith 7", "Robert Smith"),  # no letter looks like a 7
    ],
)
def test_what_follows_a_name_is_no_part_of_it(text: str, expected: str) -> None:
    assert normalize_name(text).value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Perry. Thomas", "Perry, Thomas"),  # the comma after a leading surname read as a period
        ("PRICE,LATOYA", "PRICE, LATOYA"),  # the space after a surname's comma lost
        ("O'Neil,Ana B.", "O'Neil, Ana B."),
        ("Priya lvanov", "Priya Ivanov"),  # "l" for "I" before a consonant
        ("ME! GREEN", "MEI GREEN"),  # "!" for "I" in capitals
        ("Rodriguez, CarolD", "Rodriguez, Carol D"),  # a middle initial run into the first name
        ("Jenkins, YukiW", "Jenkins, Yuki W"),
        ("McDonald, Ann", "McDonald, Ann"),  # a capital inside a name is the name's
        ("DeAndre Smith", "DeAndre Smith"),
        ("HALL, MINHD", "HALL, MINHD"),  # in capitals the initial cannot be told from the name
        # what a real name has stays: an initial's or an abbreviation's period, a comma already there,
        # a lowercase "l" before a vowel, a leading "L"
        ("Maria L. Gonzalez", "Maria L. Gonzalez"),
        ("St. John Smith", "St. John Smith"),
        ("Gonzalez. Maria, L", "Gonzalez. Maria, L"),
        ("Alan lee", "Alan lee"),
        ("Lloyd Banks", "Lloyd Banks"),
    ],
)
def test_name_ocr_slips_no_name_has_are_repaired(text: str, expected: str) -> None:
    assert normalize_name(text).value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("W339168607", "W339168607"),  # Aetna
        ("1EG4-TE5-MK73", "1EG4-TE5-MK73"),  # a dashed MBI
        ("U11591144 03", "U11591144 03"),  # Cigna with its suffix
        ("ID: OSC26142042", "OSC26142042"),
        ("3.", None),  # a numbered box of the form
        ("5.D.0.B.", None),  # a label
        ("W33916860?", None),  # OCR damage: no one can check eligibility with it
        ("O4€626142042", None),
        ("YDG72", None),  # too short for any payer
        ("ABCDEFGH12", None),  # too few digits
    ],
)
def test_member_id_plausibility(text: str, expected: str | None) -> None:
    from cardio_intake.extraction.normalize import normalize_field

    assert normalize_field("member_id", text).value == expected
    # group numbers and MRNs keep their own, looser rules
    assert normalize_field("group_number", "3.").value == "3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("URGENT - within 72 hours", "urgent"),
        ("STAT", "stat"),
        ("ASAP", "urgent"),
        ("routine", "routine"),
        ("Non-urgent", "routine"),
        ("Priority: High", "urgent"),
        ("ROUTINE (next available)", "routine"),
        ("within 24 hours", "stat"),
        ("within 2 weeks", "routine"),
        ("purple", None),
    ],
)
def test_urgency(text: str, expected: str | None) -> None:
    assert normalize_urgency(text).value == expected


def test_field_dispatch_uses_dob_rules() -> None:
    assert normalize_field("patient_dob", "3-14-27", TODAY).value == date(1927, 3, 14)
    assert normalize_field("referral_date", "3-14-27", TODAY).value == date(2027, 3, 14)
    assert normalize_field("member_id", " W238849102: ").value == "W238849102"
    assert normalize_field("provider_fax", "614-555-0199").value == "+16145550199"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("Medicare (CMS)", "Medicare (CMS)"), ("ECG [EKG]", "ECG [EKG]"), ("(Aetna)", "Aetna"), ("[R07.9", "R07.9"),
     ("Aetna)", "Aetna"), (" :UHC, ", "UHC"), ("(614) 555-0134", "(614) 555-0134")],
)
def test_clean_keeps_balanced_brackets(raw: str, clean: str) -> None:
    from cardio_intake.extraction.normalize import _clean

    assert _clean(raw) == clean


def test_month_names_survive_ocr_digit_fixes() -> None:
    from datetime import date

    from cardio_intake.extraction.normalize import normalize_date

    assert normalize_date("08-Jul-1997", kind="dob").value == date(1997, 7, 8)
    assert normalize_date("O3/l4/1952", kind="dob").value == date(1952, 3, 14)
