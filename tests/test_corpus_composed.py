"""The composed training form (random arrangement, decoy fields) and the generator's family and split
selection that draws it."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from cardio_intake.corpus.generate import corpus_is_current, generate_corpus, plan_corpus
from cardio_intake.corpus.gold import GoldPacket, read_labels
from cardio_intake.corpus.layouts import DEFAULT_MIX, FAMILIES, TEST_FAMILIES
from cardio_intake.corpus.layouts.composed import _CLINICAL_DECOYS, _DECOY_LABELS
from cardio_intake.corpus.packet import compose_packet

FAMILY = "composed_form"


def _referral_pages(p: GoldPacket) -> list:
    return [pg for pg in p.pages if pg.type == "referral_order"]


def test_composed_form_is_a_training_family_drawn_only_on_request() -> None:
    assert FAMILY in FAMILIES and FAMILY not in TEST_FAMILIES
    assert FAMILY not in DEFAULT_MIX
    assert all(fam != FAMILY for _, fam, _ in plan_corpus(300, 0))
    plan = plan_corpus(40, 0, families=[FAMILY])
    assert {fam for _, fam, _ in plan} == {FAMILY}
    assert {split for _, _, split in plan} == {"train", "validation"}
    with pytest.raises(ValueError, match="nonesuch"):
        plan_corpus(5, 0, families=["nonesuch"])


def test_composed_pages_vary_their_arrangement_and_carry_decoys() -> None:
    packets = [compose_packet(5, i, FAMILY, "train", multi_patient=False).gold for i in range(24)]
    name_above_payer = []
    decoy_words = {w for labels in _DECOY_LABELS.values() for label in labels for w in label.upper().split()}
    n_decoy_pages = 0
    for p in packets:
        ref = p.referrals[0]
        page = _referral_pages(p)[0]
        tagged = {w.tag[2:] for w in page.words if w.tag != "O"}
        # the referral's own values are on its form, tagged
        assert {"PATIENT_NAME", "PATIENT_DOB", "PROCEDURE"} <= tagged, p.doc_id
        names = [e for e in ref.entities if e.type == "PATIENT_NAME" and e.page == page.page]
        payers = [e for e in ref.entities if e.type == "PAYER" and e.page == page.page]
        if names and payers:
            name_above_payer.append(names[0].bbox[1] < payers[0].bbox[1])
        # decoy labels are printed and neither they nor anything tagged repeats a decoy as a field
        upper = {w.text.upper().rstrip(":") for w in page.words if w.tag == "O"}
        n_decoy_pages += bool(upper & decoy_words)
    # the patient block sits above the insurance block on some pages and below it on others
    assert any(name_above_payer) and not all(name_above_payer)
    assert n_decoy_pages >= len(packets) // 2


def test_a_decoy_is_never_tagged() -> None:
    """An emergency contact's name or a visit date is an "O" word: each of the referral's single-valued
    fields is tagged once on its form, and dates and phone numbers stand untagged beside them."""
    import re

    date_or_phone = re.compile(r"^(\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}|\(?\d{3}\)?[-.]?\d{3}-\d{4})$")
    untagged_values = 0
    for i in range(16):
        gold = compose_packet(9, i, FAMILY, "train", multi_patient=False).gold
        page = _referral_pages(gold)[0]
        spans = [w.tag[2:] for w in page.words if w.tag.startswith("B-")]
        for etype in ("PATIENT_NAME", "PATIENT_DOB", "PATIENT_PHONE", "PAYER", "MEMBER_ID", "REFERRAL_DATE"):
            assert spans.count(etype) <= 1, (gold.doc_id, etype)
        untagged_values += sum(1 for w in page.words if w.tag == "O" and date_or_phone.match(w.text))
    assert untagged_values >= 4


def test_the_order_block_lists_services_and_diagnoses_several_ways_and_tags_every_one() -> None:
    """Diagnoses one a line, run on after their label or in a ruled table: whichever way, each of the
    referral's diagnoses and services is tagged on its form, and an allergy or medication line beside them
    is not."""
    same_line_dx = clinical_decoys = 0
    decoy_labels = {label.upper() for label, _ in _CLINICAL_DECOYS}
    for i in range(30):
        gold = compose_packet(11, i, FAMILY, "train", multi_patient=False).gold
        ref, page = gold.referrals[0], _referral_pages(gold)[0]
        on_form = [e for e in ref.entities if e.page == page.page]
        assert sorted(e.text for e in on_form if e.type == "DIAGNOSIS") == sorted(ref.fields.diagnoses), gold.doc_id
        assert sorted(e.text for e in on_form if e.type == "PROCEDURE") == sorted(ref.fields.procedures), gold.doc_id
        tops = sorted(e.bbox[1] for e in on_form if e.type == "DIAGNOSIS")
        same_line_dx += any(b - a < 3 for a, b in pairwise(tops))
        printed = " ".join(w.text for w in page.words if w.tag == "O").upper()
        clinical_decoys += any(label.split()[0] in printed for label in decoy_labels)
    assert same_line_dx >= 2  # two diagnoses on one line: the run-on listing
    assert clinical_decoys >= 5


def test_only_split_keeps_the_same_packets_the_whole_corpus_holds(tmp_path: Path) -> None:
    whole = generate_corpus(tmp_path / "whole", n=10, seed=3, progress=False, workers=1, families=[FAMILY])
    train = generate_corpus(tmp_path / "train", n=10, seed=3, progress=False, workers=1, families=[FAMILY], only_split="train")
    by_id = {p.doc_id: p for p in read_labels(whole)}
    kept = list(read_labels(train))
    assert kept and all(p.split == "train" for p in kept)
    assert len(kept) == sum(p.split == "train" for p in by_id.values()) < len(by_id)
    for p in kept:
        assert p == by_id[p.doc_id]
        assert (train / p.file).read_bytes() == (whole / p.file).read_bytes()
    manifest = json.loads((train / "manifest.json").read_text())
    assert manifest["mix"] == [FAMILY] and manifest["only_split"] == "train" and manifest["packets"] == len(kept)
    assert corpus_is_current(train, n=10, seed=3, families=[FAMILY], only_split="train")
    assert not corpus_is_current(train, n=10, seed=3)  # the standard mix is another corpus
    assert not corpus_is_current(whole, n=10, seed=3, families=[FAMILY], only_split="train")
    with pytest.raises(ValueError, match="only_split"):
        generate_corpus(tmp_path / "bad", n=2, seed=3, progress=False, only_split="holdout")
    with pytest.raises(ValueError, match="none in 'test'"):
        generate_corpus(tmp_path / "none", n=4, seed=3, progress=False, families=[FAMILY], only_split="test")


def test_cli_generate_names_an_unknown_family(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cardio_intake.cli import app

    res = CliRunner().invoke(app, ["data", "generate", "--n", "2", "--families", "composed_form,rx_padd", "--out", str(tmp_path / "c")])
    assert res.exit_code == 2
    assert "rx_padd" in res.output and "rx_pad" in res.output
    res = CliRunner().invoke(app, ["data", "generate", "--n", "3", "--seed", "2", "--families", "composed_form",
                                   "--only-split", "train", "--workers", "1", "--out", str(tmp_path / "ok")])
    assert res.exit_code == 0, res.output
    assert {p.family for p in read_labels(tmp_path / "ok")} == {FAMILY}
