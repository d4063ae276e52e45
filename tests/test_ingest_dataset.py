"""The OCR-aligned dataset: gold tags moved onto OCR words (unit cases for splits, merges and
misreads), and build_dataset end to end on a tiny corpus made here in every packet format."""

from __future__ import annotations

import json
from pathlib import Path

import ingest_docs as D
import pytest

from cardio_intake.corpus.gold import GoldPacket, GoldPage, GoldReferral, GoldWord
from cardio_intake.document import Word, to_box_1000
from cardio_intake.ingest.align import align_page, repair_bio
from cardio_intake.labels import BIO_LABELS, PAGE_TYPES
from cardio_intake.schemas import Fields

# --- alignment unit cases --------------------------------------------------------------------


def _gw(text: str, box: tuple[int, int, int, int], tag: str = "O") -> GoldWord:
    return GoldWord(text=text, box_px=tuple(float(v) for v in box), box_1000=box, tag=tag)  # type: ignore[arg-type]


def _ow(text: str, box: tuple[int, int, int, int]) -> Word:
    return Word(text=text, box_px=tuple(float(v) for v in box), box_1000=box, ocr_confidence=0.9)  # type: ignore[arg-type]


GOLD = [
    _gw("Member", (100, 100, 150, 110)),
    _gw("ID:", (155, 100, 175, 110)),
    _gw("W238849102", (180, 100, 280, 110), "B-MEMBER_ID"),
    _gw("Maria", (100, 200, 140, 210), "B-PATIENT_NAME"),
    _gw("Gonzalez", (145, 200, 210, 210), "I-PATIENT_NAME"),
]


def test_exact_words_take_the_gold_tags() -> None:
    ocr = [_ow(g.text, g.box_1000) for g in GOLD]
    al = align_page(ocr, GOLD)
    assert al.tags == [g.tag for g in GOLD]
    assert (al.gold_entity_words, al.matched_entity_words) == (3, 3)


def test_merged_word_takes_the_larger_entity_and_counts_as_matched() -> None:
    ocr = [_ow("Member", (101, 100, 150, 111)), _ow("ID:W238849102", (156, 99, 281, 110))]
    al = align_page(ocr, GOLD[:3])
    assert al.tags == ["O", "B-MEMBER_ID"]
    assert al.matched_entity_words == 1


def test_split_word_gets_b_then_i() -> None:
    ocr = [_ow("W2388", (180, 100, 228, 110)), _ow("49102", (232, 100, 280, 110))]
    assert align_page(ocr, GOLD[:3]).tags == ["B-MEMBER_ID", "I-MEMBER_ID"]


def test_misread_word_in_the_right_place_still_matches() -> None:
    ocr = [_ow("W23884g1O2", (181, 101, 279, 111))]
    al = align_page(ocr, GOLD[:3])
    assert al.tags == ["B-MEMBER_ID"] and al.matched_entity_words == 1


def test_missing_first_word_starts_the_entity_with_b() -> None:
    ocr = [_ow("Gonzalez", (145, 200, 210, 210))]
    al = align_page(ocr, GOLD)
    assert al.tags == ["B-PATIENT_NAME"]
    assert (al.gold_entity_words, al.matched_entity_words) == (3, 1)


def test_badly_misread_word_in_the_same_box_keeps_its_tag() -> None:
    gold = [_gw("05/14/1991", (300, 100, 380, 110), "B-PATIENT_DOB")]
    al = align_page([_ow("OS/S/991", (300, 101, 378, 110))], gold)
    assert al.tags == ["B-PATIENT_DOB"] and al.matched_entity_words == 1


def test_unrelated_text_or_place_stays_outside() -> None:
    ocr = [_ow("FROM:", (100, 20, 140, 30)), _ow("Maria", (600, 600, 640, 610)), _ow("42", (100, 200, 140, 210)),
           _ow("Zebra", (110, 198, 160, 212))]
    al = align_page(ocr, GOLD)
    assert al.tags == ["O", "O", "O", "O"]
    assert al.matched_entity_words == 0


def test_repair_bio() -> None:
    assert repair_bio(["I-CPT", "I-CPT", "O", "I-ICD10", "B-ICD10", "I-ICD10"]) == [
        "B-CPT", "I-CPT", "O", "B-ICD10", "B-ICD10", "I-ICD10"
    ]


# --- build_dataset on a tiny corpus ----------------------------------------------------------

ENTITY_TAGS = {
    "Maria": "B-PATIENT_NAME",
    "Gonzalez": "I-PATIENT_NAME",
    "03/14/1952": "B-PATIENT_DOB",
    "W238849102": "B-MEMBER_ID",
    "atrial": "B-DIAGNOSIS",
    "fibrillation": "I-DIAGNOSIS",
    "I48.91": "B-ICD10",
    "Alan": "B-REFERRING_PROVIDER",
    "Whitfield": "I-REFERRING_PROVIDER",
    "1245319599": "B-REFERRING_NPI",
}


def _gold_page(number: int, words: list[tuple[str, D.Box]], size: tuple[int, int], **kw: object) -> GoldPage:
    gw = [
        GoldWord(text=t, box_px=b, box_1000=to_box_1000(b, *size), tag=ENTITY_TAGS.get(t, "O")) for t, b in words
    ]
    return GoldPage(page=number, type="referral_order", width=size[0], height=size[1], dpi=200, words=gw, **kw)  # type: ignore[arg-type]


def _text_pdf_gold() -> list[tuple[str, D.Box]]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    s = 200 / 72
    out: list[tuple[str, D.Box]] = []
    for text, x, y in D.TEXT_PDF_STRINGS:
        cx = float(x)
        for word in text.split():
            w = stringWidth(word, "Helvetica", 12)
            out.append((word, (cx * s, (792 - y - 9) * s, (cx + w) * s, (792 - y + 2) * s)))
            cx += w + stringWidth(" ", "Helvetica", 12)
    return out


def _packet(doc_id: str, file: str, fmt: str, resolution: str, family: str, split: str, pages: list[GoldPage]) -> GoldPacket:
    ref = GoldReferral(pages=[p.page for p in pages], intents=["echo_tte", "consult"], fields=Fields(member_id="W238849102"))
    return GoldPacket(doc_id=doc_id, file=file, format=fmt, resolution=resolution, family=family, split=split,  # type: ignore[arg-type]
                      pages=pages, referrals=[ref])


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    (root / "files").mkdir()
    img, words = D.render_page()
    size = img.size
    (root / "files" / "a.tif").write_bytes(D.g4_tiff([img, img.rotate(180)]))
    (root / "files" / "b.tif").write_bytes(D.standard_fax(img))
    (root / "files" / "c.pdf").write_bytes(D.text_pdf(1))
    packets = [
        _packet("a", "files/a.tif", "tiff_g4", "fine", "clinic_a", "train",
                [_gold_page(1, words, size), _gold_page(2, words, size, upside_down=True)]),
        _packet("b", "files/b.tif", "tiff_g4", "standard", "clinic_b", "validation", [_gold_page(1, words, size)]),
        _packet("c", "files/c.pdf", "pdf_text", "digital", "ehr_c", "test", [_gold_page(1, _text_pdf_gold(), (1700, 2200))]),
    ]
    (root / "labels.jsonl").write_text("".join(p.model_dump_json() + "\n" for p in packets), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tiny_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    from cardio_intake.ingest.dataset_builder import build_dataset

    out = tmp_path_factory.mktemp("dataset")
    return build_dataset(tiny_corpus, out, workers=2), out


def test_dataset_has_the_shared_columns_and_splits(built: tuple[object, Path]) -> None:
    from datasets import load_from_disk

    from cardio_intake.corpus.features import dataset_features

    dsd, out = built
    assert {k: len(v) for k, v in dsd.items()} == {"train": 1, "validation": 1, "test": 1}  # type: ignore[attr-defined]
    for split in ("train", "validation", "test"):
        assert dsd[split].features == dataset_features()  # type: ignore[index]
    again = load_from_disk(str(out))
    assert again["train"][0]["doc_id"] == "a" and again["test"][0]["format"] == "pdf_text"


def test_a_corpus_of_train_packets_only_loads_back_with_empty_splits(tiny_corpus: Path, tmp_path: Path) -> None:
    """A practice's labelled batch may hold no validation or test packet: the saved dataset must still load
    (an empty split saved with 0 shards does not)."""
    import shutil

    from datasets import load_from_disk

    from cardio_intake.ingest.dataset_builder import build_dataset

    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    lines = (corpus / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    (corpus / "labels.jsonl").write_text(lines[0] + "\n", encoding="utf-8")  # packet "a", the train one
    build_dataset(corpus, tmp_path / "dataset", workers=1)
    again = load_from_disk(str(tmp_path / "dataset"))
    assert {k: len(v) for k, v in again.items()} == {"train": 1, "validation": 0, "test": 0}
    assert again["validation"].features == again["train"].features


def test_ocr_words_carry_the_aligned_tags(built: tuple[object, Path]) -> None:
    dsd, _ = built
    row = dsd["train"][0]  # type: ignore[index]
    assert row["n_pages"] == 2 and len(row["words"]) == 2
    for p in range(2):  # page 2 was stored upside down: its words still line up with the gold
        tagged = {w: BIO_LABELS[t] for w, t in zip(row["words"][p], row["ner_tags"][p], strict=True)}
        assert tagged.get("Maria") == "B-PATIENT_NAME"
        assert tagged.get("Gonzalez") == "I-PATIENT_NAME"
        assert tagged.get("W238849102") == "B-MEMBER_ID"
        assert tagged.get("REFERRAL") == "O"
        assert all(len(b) == 4 and min(b) >= 0 and max(b) <= 1000 for b in row["bboxes"][p])
    assert row["referral_intents"] == [[1, 0]]
    assert json.loads(row["referral_fields"][0])["member_id"] == "W238849102"


def test_coverage_report_per_family(built: tuple[object, Path]) -> None:
    _, out = built
    cov = json.loads((out / "coverage.json").read_text())
    assert cov["failed"] == []
    assert set(cov["by_family"]) == {"clinic_a", "clinic_b", "ehr_c"}
    fine = cov["by_family"]["clinic_a"]["fine"]
    assert fine["entity_words"] == 2 * len(ENTITY_TAGS)
    assert fine["coverage"] > 0.97
    assert cov["by_family"]["clinic_b"]["standard"]["coverage"] >= 0.8
    # The text-layer PDF has no entity words tagged in this gold, but its words align exactly.
    assert cov["by_resolution"]["digital"]["packets"] == 1


def test_unreadable_packet_is_reported_not_skipped(tiny_corpus: Path, tmp_path: Path) -> None:
    from cardio_intake.ingest.dataset_builder import build_dataset

    broken = tmp_path / "corpus"
    (broken / "files").mkdir(parents=True)
    (broken / "files" / "c.pdf").write_bytes(b"%PDF-1.4\n")
    first = (tiny_corpus / "labels.jsonl").read_text().splitlines()[2]
    (broken / "labels.jsonl").write_text(first + "\n")
    dsd = build_dataset(broken, tmp_path / "out", workers=1)
    assert sum(len(v) for v in dsd.values()) == 0
    cov = json.loads((tmp_path / "out" / "coverage.json").read_text())
    assert cov["failed"][0]["doc_id"] == "c" and cov["failed"][0]["error"] == "corrupt_document"


# --- integration with the corpus generator ---------------------------------------------------


def test_generated_packets_build_with_high_coverage(tmp_path: Path) -> None:
    """A few real generated packets (one per file format, the shortest) through the builder."""
    from cardio_intake.corpus.generate import generate_corpus
    from cardio_intake.corpus.gold import read_labels
    from cardio_intake.ingest.dataset_builder import build_dataset

    corpus = generate_corpus(tmp_path / "corpus", n=8, seed=3, progress=False, workers=1)
    shortest: dict[str, GoldPacket] = {}
    for p in read_labels(corpus):
        if p.format not in shortest or p.n_pages < shortest[p.format].n_pages:
            shortest[p.format] = p
    picked = sorted(shortest.values(), key=lambda p: p.doc_id)
    assert len(picked) >= 2
    (corpus / "labels.jsonl").write_text("".join(p.model_dump_json() + "\n" for p in picked), encoding="utf-8")

    dsd = build_dataset(corpus, tmp_path / "dataset", workers=2)
    rows = {r["doc_id"]: r for split in dsd.values() for r in split}
    assert set(rows) == {p.doc_id for p in picked}
    for p in picked:
        row = rows[p.doc_id]
        assert row["n_pages"] == p.n_pages and row["split"] == p.split and row["family"] == p.family
        assert row["page_types"] == [PAGE_TYPES.index(g.type) for g in p.pages]
        for words, tags, gold in zip(row["words"], row["ner_tags"], p.pages, strict=True):
            assert len(words) == len(tags)
            if len(gold.words) > 20:
                assert len(words) > 0.5 * len(gold.words), f"{p.doc_id} page {gold.page}: OCR found too few words"
    cov = json.loads((tmp_path / "dataset" / "coverage.json").read_text())
    assert cov["failed"] == []
    total = cov["by_resolution"]["all"]
    assert total["entity_words"] > 0 and total["coverage"] >= 0.85


def test_build_dataset_command(tiny_corpus: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cardio_intake.cli import app

    runner = CliRunner()
    out = tmp_path / "ds"
    res = runner.invoke(app, ["data", "build-dataset", "--corpus", str(tiny_corpus), "--out", str(out),
                              "--workers", "1", "--limit", "1"])
    assert res.exit_code == 0, res.output
    assert "coverage" in res.output.lower() and (out / "coverage.json").is_file()
    assert json.loads((out / "coverage.json").read_text())["packets"] == 1
    res = runner.invoke(app, ["data", "build-dataset", "--corpus", str(tmp_path / "nothing"), "--out", str(out)])
    assert res.exit_code == 2
