"""The synthetic corpus generator: determinism, exact gold, valid codes, openable files, split."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cardio_intake.corpus import vocab
from cardio_intake.corpus.canvas import render_pil
from cardio_intake.corpus.features import packet_to_example
from cardio_intake.corpus.generate import corpus_is_current, generate_corpus, plan_corpus
from cardio_intake.corpus.gold import GoldPacket, read_labels
from cardio_intake.corpus.ids import make_npi, npi_luhn_ok
from cardio_intake.corpus.layouts import FAMILIES, TEST_FAMILIES
from cardio_intake.corpus.packet import compose_packet
from cardio_intake.labels import BIO_LABELS, INTENT_CPT_RANGES, intent_for_cpt

N, SEED = 12, 11


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_corpus(tmp_path_factory.mktemp("corpus"), n=N, seed=SEED, progress=False, workers=2)


@pytest.fixture(scope="session")
def packets(corpus: Path) -> list[GoldPacket]:
    return list(read_labels(corpus))


def _referrals(packets: list[GoldPacket]) -> Iterator[tuple[GoldPacket, int]]:
    for p in packets:
        for i in range(len(p.referrals)):
            yield p, i


def test_corpus_layout_and_manifest(corpus: Path, packets: list[GoldPacket]) -> None:
    assert len(packets) == N
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert manifest["seed"] == SEED and manifest["n"] == N
    assert set(manifest["test_families"]) == set(TEST_FAMILIES)
    assert len(manifest["families"]) == len(FAMILIES) >= 15
    for p in packets:
        assert (corpus / p.file).is_file()
        assert GoldPacket.model_validate_json((corpus / "gold" / f"{p.doc_id}.json").read_text()) == p
        assert 1 <= len(p.pages) <= 6
        assert any(pg.type == "referral_order" for pg in p.pages)
        # every page belongs to exactly one referral
        assert sorted(q for r in p.referrals for q in r.pages) == list(range(1, len(p.pages) + 1))
    assert corpus_is_current(corpus, n=N, seed=SEED)
    assert not corpus_is_current(corpus, n=N, seed=SEED + 1)
    assert not corpus_is_current(corpus, n=N + 1, seed=SEED)


def test_deterministic_for_a_seed_whatever_the_workers(corpus: Path, tmp_path: Path) -> None:
    again = generate_corpus(tmp_path / "again", n=N, seed=SEED, progress=False, workers=1)
    assert (again / "labels.jsonl").read_bytes() == (corpus / "labels.jsonl").read_bytes()
    # the files are byte-identical too (no timestamps in TIFF, PNG or either kind of PDF)
    for f in sorted((corpus / "files").iterdir()):
        assert (again / "files" / f.name).read_bytes() == f.read_bytes(), f.name
    other = generate_corpus(tmp_path / "other", n=3, seed=SEED + 1, progress=False, workers=1)
    assert (other / "labels.jsonl").read_bytes() != (corpus / "labels.jsonl").read_bytes()[: len((other / "labels.jsonl").read_bytes())]


def test_refuses_to_overwrite_a_non_corpus_folder(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate_corpus(tmp_path, n=1, seed=0, progress=False)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def _spans(words: list, page: int) -> list[tuple[str, str, tuple[int, int, int, int]]]:
    """Entity spans rebuilt from BIO tags: (type, space-joined text, union box)."""
    spans: list[tuple[str, list]] = []
    for w in words:
        if w.tag.startswith("B-"):
            spans.append((w.tag[2:], [w]))
        elif w.tag.startswith("I-"):
            assert spans and spans[-1][0] == w.tag[2:], f"page {page}: {w.tag} {w.text!r} does not continue a span"
            spans[-1][1].append(w)
    out = []
    for etype, ws in spans:
        boxes = [w.box_1000 for w in ws]
        union = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        out.append((etype, " ".join(w.text for w in ws), union))
    return out


def test_entities_are_exact_word_spans(packets: list[GoldPacket]) -> None:
    n_entities = 0
    for p in packets:
        for pg in p.pages:
            assert all(w.tag in BIO_LABELS for w in pg.words)
            assert all(" " not in w.text and w.text for w in pg.words)
            from_tags = sorted(_spans(pg.words, pg.page))
            from_gold = sorted((e.type, e.text, tuple(e.bbox)) for r in p.referrals for e in r.entities if e.page == pg.page)
            assert from_tags == from_gold, f"{p.doc_id} page {pg.page}"
            n_entities += len(from_gold)
        for r in p.referrals:
            for e in r.entities:
                assert e.page in r.pages
                # every word of the entity lies inside the entity's box
                inside = [w for w in p.pages[e.page - 1].words if w.tag.endswith(e.type)
                          and all(e.bbox[k] <= w.box_1000[k] for k in (0, 1)) and all(w.box_1000[k] <= e.bbox[k] for k in (2, 3))]  # fmt: skip
                assert e.text in " ".join(w.text for w in inside)
    assert n_entities > 10 * len(packets)


def test_every_word_box_holds_ink_on_the_clean_render(packets: list[GoldPacket]) -> None:
    plan = {i: (fam, split) for i, fam, split in plan_corpus(N, SEED)}
    for p in packets[:6]:
        idx = int(p.doc_id.split("-")[1])
        composed = compose_packet(SEED, idx, *plan[idx])
        assert composed.gold == p  # composing again gives the same gold
        for canvas, pg in zip(composed.canvases, p.pages, strict=True):
            img = np.asarray(render_pil(canvas))
            assert img.shape == (pg.height, pg.width)
            for w in pg.words:
                x0, y0, x1, y1 = (int(np.floor(w.box_px[0])), int(np.floor(w.box_px[1])), int(np.ceil(w.box_px[2])), int(np.ceil(w.box_px[3])))
                patch = img[max(y0 - 1, 0) : y1 + 1, max(x0 - 1, 0) : x1 + 1]
                assert patch.size and patch.min() < 128, f"{p.doc_id} p{pg.page}: no ink under {w.text!r} {w.box_px}"
            # and the other way round: with only the text drawn, no ink falls outside the word boxes
            text_only = dataclasses.replace(canvas, ops=[op for op in canvas.ops if op[0] == "text"])
            ink = np.asarray(render_pil(text_only)) < 128
            for w in pg.words:
                x0, y0, x1, y1 = (int(v) for v in w.box_px)
                ink[max(y0 - 2, 0) : y1 + 3, max(x0 - 2, 0) : x1 + 3] = False
            assert not ink.any(), f"{p.doc_id} p{pg.page}: text ink outside the gold word boxes"


def test_box_1000_matches_box_px(packets: list[GoldPacket]) -> None:
    for p in packets:
        for pg in p.pages:
            for w in pg.words:
                x0, y0, x1, y1 = w.box_px
                assert 0 <= x0 <= x1 <= pg.width and 0 <= y0 <= y1 <= pg.height
                assert abs(w.box_1000[0] - x0 * 1000 / pg.width) <= 1 and abs(w.box_1000[3] - y1 * 1000 / pg.height) <= 1


def test_npis_are_luhn_valid() -> None:
    assert npi_luhn_ok("1234567893")  # CMS's published example NPI
    assert not npi_luhn_ok("1234567890")
    assert all(npi_luhn_ok(make_npi(__import__("random").Random(i))) for i in range(200))


def _luhn_with_prefix(npi: str) -> bool:
    """Independent check: the CMS rule 'double alternate digits of the first nine, add 24'."""
    digits = [int(c) for c in npi[:9]]
    total = 24
    for i, d in enumerate(digits):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def test_gold_npis_pass_the_cms_check(packets: list[GoldPacket]) -> None:
    npis = [p.referrals[i].fields.referring_npi for p, i in _referrals(packets)]
    assert any(npis)
    for npi in filter(None, npis):
        assert npi[0] in "12" and _luhn_with_prefix(npi)


def test_intents_consistent_with_cpts(packets: list[GoldPacket]) -> None:
    for intent, orders in vocab.ORDERS.items():
        for cpt, _ in orders:
            assert intent_for_cpt(cpt) == intent, cpt
    assert set(vocab.ORDERS) == set(INTENT_CPT_RANGES)
    for p, i in _referrals(packets):
        ref = p.referrals[i]
        assert ref.intents
        for cpt in ref.fields.cpt:
            assert intent_for_cpt(cpt) in ref.intents, (p.doc_id, cpt, ref.intents)
        # every intent is visible: one of its order wordings is written as a PROCEDURE on the page
        for intent in ref.intents:
            wordings = {w for _, ws in vocab.ORDERS[intent] for w in ws}
            assert wordings & set(ref.fields.procedures), (p.doc_id, intent, ref.fields.procedures)


def test_icd10_codes_are_real_cardiology_codes(packets: list[GoldPacket]) -> None:
    import simple_icd_10_cm as cm

    for code, (description, _short) in vocab.ICD10.items():
        raw = code.replace(".", "")
        assert cm.is_valid_item(raw) and cm.is_leaf(raw), code  # billable
        assert cm.get_description(raw) == description, code
        assert cm.add_dot(raw) == code
    for dx in vocab.INTENT_DX.values():
        assert set(dx) <= set(vocab.ICD10)
    for p, i in _referrals(packets):
        for code in p.referrals[i].fields.icd10:
            assert code in vocab.ICD10


def test_fields_are_normalized(packets: list[GoldPacket]) -> None:
    for p, i in _referrals(packets):
        f = p.referrals[i].fields
        assert f.patient_name and f.patient_dob
        assert not any(f.patient_name.startswith(t) for t in ("Dr.", "Mr.", "Mrs."))
        if f.referring_provider:
            assert not f.referring_provider.startswith("Dr.") and not f.referring_provider.endswith(("MD", "M.D.", "DO"))
        for phone in (f.patient_phone, f.provider_fax):
            assert phone is None or (phone.startswith("+1") and len(phone) == 12)
        assert all(len(c) == 5 and c.isdigit() for c in f.cpt)
        assert len(f.diagnoses) >= 1 and len(f.procedures) >= 1


def test_every_format_opens(corpus: Path, packets: list[GoldPacket]) -> None:
    import pypdfium2 as pdfium

    seen = set()
    for p in packets:
        path = corpus / p.file
        seen.add(p.format)
        if p.format in ("tiff_g4", "png"):
            with Image.open(path) as im:
                assert getattr(im, "n_frames", 1) == len(p.pages)
                assert im.mode == "1"
                if p.format == "tiff_g4":
                    assert im.info["compression"] == "group4"
                    assert tuple(round(v) for v in im.info["dpi"]) == ((204, 196) if p.resolution == "fine" else (204, 98))
        else:
            pdf = pdfium.PdfDocument(str(path))
            assert len(pdf) == len(p.pages)
            text = pdf[0].get_textpage().get_text_range()
            if p.format == "pdf_text":
                page_words = [w.text for w in p.pages[0].words]
                found = sum(w in text for w in page_words)
                assert found >= 0.95 * len(page_words), (p.doc_id, found, len(page_words))
            else:
                assert text.strip() == ""  # image-only
            pdf.close()
    assert {"tiff_g4", "pdf_text"} <= seen


def test_standard_resolution_halves_the_rows(tmp_path: Path) -> None:
    from cardio_intake.corpus.packet import write_packet

    for idx in range(40):
        composed = compose_packet(3, idx, "pcp_form_classic", "train", multi_patient=False)
        if composed.gold.format == "tiff_g4" and composed.gold.resolution == "standard":
            break
    else:
        pytest.skip("no standard-resolution TIFF among the first 40 packets")
    (tmp_path / "files").mkdir()
    path = write_packet(composed, tmp_path)
    with Image.open(path) as im:
        assert im.size == (composed.gold.pages[0].width, composed.gold.pages[0].height // 2)


def test_multi_patient_packets_label_each_referral() -> None:
    composed = compose_packet(5, 1, "pcp_form_classic", "train", multi_patient=True)
    gold = composed.gold
    assert len(gold.referrals) == 2
    a, b = gold.referrals
    assert not set(a.pages) & set(b.pages)
    assert a.fields.patient_name != b.fields.patient_name
    assert sum(pg.type == "referral_order" for pg in gold.pages) == 2
    for ref in gold.referrals:
        assert all(e.page in ref.pages for e in ref.entities)


def test_family_split(packets: list[GoldPacket]) -> None:
    plan = plan_corpus(500, 0)
    by_split: dict[str, set[str]] = {}
    for _, fam, split in plan:
        by_split.setdefault(split, set()).add(fam)
    assert by_split["test"] == set(TEST_FAMILIES)
    assert not (by_split["train"] | by_split["validation"]) & set(TEST_FAMILIES)
    assert by_split["validation"] <= by_split["train"]
    assert 3 <= len(TEST_FAMILIES) <= 5 and len(by_split["train"]) >= 12
    for p in packets:
        assert (p.split == "test") == (p.family in TEST_FAMILIES)


def test_intent_and_multi_patient_frequencies() -> None:
    """Realistic frequencies over a planned corpus (records only, no rendering)."""
    import random

    from cardio_intake.corpus.record import make_referral, make_source

    rng = random.Random(0)
    src = make_source(rng, "clinic")
    from datetime import date

    refs = [make_referral(rng, src, date(2026, 1, 5), 10, {}) for _ in range(2000)]
    share = {i: sum(i in r.intents for r in refs) / len(refs) for i in INTENT_CPT_RANGES}
    assert share["consult"] > 0.4 and share["echo_tte"] > 0.2
    assert max(share, key=lambda k: share[k]) == "consult"
    assert all(v > 0.005 for v in share.values())
    pair = sum(set(r.intents) == {"consult", "echo_tte"} for r in refs) / len(refs)
    assert pair > 0.08


def test_packet_to_example(packets: list[GoldPacket]) -> None:
    from cardio_intake.corpus.features import dataset_features

    features = dataset_features()
    for p in packets:
        row = packet_to_example(p)
        assert row["n_pages"] == len(p.pages) == len(row["words"]) == len(row["page_types"])
        assert all(len(w) == len(b) == len(t) for w, b, t in zip(row["words"], row["bboxes"], row["ner_tags"], strict=True))
        encoded = features.encode_example(row)
        assert encoded["doc_id"] == p.doc_id


def test_cli_generate_and_show(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cardio_intake.cli import app

    runner = CliRunner()
    out = tmp_path / "c"
    res = runner.invoke(app, ["data", "generate", "--n", "2", "--seed", "4", "--out", str(out), "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert corpus_is_current(out, n=2, seed=4)
    res = runner.invoke(app, ["data", "show", str(out), "--doc-id", "packet-00001"])
    assert res.exit_code == 0, res.output
    assert "packet-00001" in res.output and "patient_name" in res.output
    res = runner.invoke(app, ["data", "show", str(tmp_path / "missing")])
    assert res.exit_code == 2


def test_an_insurance_card_labels_its_payer_even_when_the_referral_form_leaves_it_out() -> None:
    # seed 7, packet 24: the referral form names no payer; its insurance card prints "Cigna" (until 2026-12-05
    # unlabelled, so gold said "no payer" beneath a card that names one)
    gold = compose_packet(7, 24, "fqhc_bilingual", "test").gold
    cards = [pg.page for pg in gold.pages if pg.type == "insurance_card"]
    assert cards
    for ref in gold.referrals:
        on_card = [e for e in ref.entities if e.type == "PAYER" and e.page in cards]
        if set(cards) & set(ref.pages):
            assert on_card and on_card[0].text == ref.fields.payer == "Cigna"
