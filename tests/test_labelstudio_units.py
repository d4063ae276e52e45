"""Label Studio coordinate conversion, region -> word tagging, malformed exports, and ranking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from cardio_intake.document import Document, Page, Word, to_box_1000
from cardio_intake.labelstudio.coords import box_px_to_ls_rect, ls_rect_to_box_px, rotate_box_px
from cardio_intake.labelstudio.importer import LabelImportError, import_tasks, pages_to_rows, tag_words
from cardio_intake.labelstudio.select import rank
from cardio_intake.schemas import (
    Fields,
    IntentPrediction,
    PagePrediction,
    Prediction,
    ReferralPrediction,
    Review,
)

W, H = 1700, 2200


@given(
    x0=st.floats(0, 1500), y0=st.floats(0, 2000), w=st.floats(1, 200), h=st.floats(1, 200),
)
def test_unrotated_rect_round_trips_exactly(x0: float, y0: float, w: float, h: float) -> None:
    box = (x0, y0, x0 + w, y0 + h)
    back = ls_rect_to_box_px(box_px_to_ls_rect(box, W, H), W, H)
    assert back == pytest.approx(box, abs=1e-6)


def test_rotated_rect_envelope() -> None:
    # a 100x20 box rotated 90 degrees clockwise about its top-left corner stands 20 wide, 100 tall,
    # to the left of the anchor (x - 20 .. x)
    value = {"x": 50.0, "y": 10.0, "width": 100 / W * 100, "height": 20 / H * 100, "rotation": 90}
    x0, y0, x1, y1 = ls_rect_to_box_px(value, W, H)
    assert (x0, y0, x1, y1) == pytest.approx((850 - 20, 220, 850, 320), abs=1e-6)


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_page_rotation_maps_points_like_pil(turn: int) -> None:
    # draw one dark box on an image, rotate the image as the loader would (clockwise), and check the
    # mapped box lands exactly on the dark pixels of the rotated image
    img = Image.new("L", (300, 200), 255)
    box = (40, 30, 90, 60)
    img.paste(0, box)
    rotated = img.rotate(-turn, expand=True)  # PIL rotates counter-clockwise for positive angles
    mapped = rotate_box_px(box, 300, 200, turn)
    dark = rotated.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert dark == tuple(round(v) for v in mapped)


def _page(words: list[tuple[str, tuple[float, float, float, float]]], rotation: int = 0) -> Page:
    return Page(number=1, width=W, height=H, dpi=200, rotation_applied=rotation, words=[
        Word(text=t, box_px=b, box_1000=to_box_1000(b, W, H), ocr_confidence=0.9) for t, b in words])


def test_tag_words_marks_begin_and_inside() -> None:
    page = _page([("Member", (100, 100, 200, 130)), ("ID:", (210, 100, 250, 130)),
                  ("W2388", (300, 100, 420, 130)), ("49102", (430, 100, 540, 130))])
    from cardio_intake.labelstudio.importer import Region

    tagged = tag_words(page, [Region("MEMBER_ID", to_box_1000((290, 95, 550, 135), W, H))])
    assert tagged.tags == ["O", "O", "B-MEMBER_ID", "I-MEMBER_ID"]
    assert tagged.matched == [True] and tagged.transcribed == 0


def test_region_without_ocr_words_is_kept_from_its_transcription() -> None:
    from cardio_intake.labelstudio.importer import Region

    page = _page([("ICD", (100, 100, 160, 130)), ("Chest", (100, 300, 200, 330))])
    region = Region("ICD10", to_box_1000((100, 200, 220, 230), W, H), text="R06.02 R55")
    tagged = tag_words(page, [region])
    # inserted between the two lines, in reading order, one word per transcribed token
    assert tagged.words == ["ICD", "R06.02", "R55", "Chest"]
    assert tagged.tags == ["O", "B-ICD10", "I-ICD10", "O"]
    assert tagged.matched == [False] and tagged.transcribed == 1
    x0, _, x1, _ = region.box_1000
    assert x0 <= tagged.boxes[1][0] <= tagged.boxes[1][2] <= tagged.boxes[2][0] <= tagged.boxes[2][2] <= x1


def _task(task_id: int, image: str, result: list[dict], **data: object) -> dict:
    return {"id": task_id, "data": {"image": image, **data}, "annotations": [{"result": result}]}


def _rect(rid: str, label: str, box: tuple[float, float, float, float], rotation: int = 0) -> dict:
    return {"id": rid, "type": "rectanglelabels", "from_name": "entity", "to_name": "image",
            "original_width": W, "original_height": H, "image_rotation": 0,
            "value": {**box_px_to_ls_rect(box, W, H), "rectanglelabels": [label]}}


@pytest.fixture()
def images(tmp_path: Path) -> Path:
    Image.new("L", (W, H), 255).save(tmp_path / "p1.png")
    return tmp_path


def test_import_with_upside_down_page(images: Path) -> None:
    # the annotator drew on the stored (upside-down) image; the loader turned the page 180 degrees
    upright_box = (300, 100, 540, 130)
    stored_box = rotate_box_px(upright_box, W, H, 180)
    loader = lambda _b: Document(pages=[_page([("W2388", (300, 100, 420, 130)), ("49102", (430, 100, 540, 130)),  # noqa: E731
                                                ("Aetna", (300, 300, 420, 330))], rotation=180)])
    export = [_task(1, "/data/upload/1/p1.png", [
        _rect("a", "MEMBER_ID", stored_box),
        {"id": "pt", "type": "choices", "from_name": "page_type", "to_name": "image", "value": {"choices": ["referral_order"]}},
        {"id": "in", "type": "choices", "from_name": "intents", "to_name": "image", "value": {"choices": ["echo_tte"]}},
    ], document_id="doc-1", page=1), {"id": 2, "data": {"image": "p1.png"}, "annotations": []}]
    pages, report = import_tasks(export, images, loader)
    assert report.imported == 1 and report.skipped_unannotated == 1
    assert pages[0].tags == ["B-MEMBER_ID", "I-MEMBER_ID", "O"]
    rows = pages_to_rows(pages)
    assert rows[0]["doc_id"] == "doc-1" and rows[0]["referral_intents"] == [[1]]


@pytest.mark.parametrize(
    ("export", "message"),
    [
        ({"not": "a list"}, "list of tasks"),
        ([{"id": 7, "annotations": [{"result": []}]}], "task 7: no 'data'"),
        ([_task(8, "p1.png", [{"type": "rectanglelabels"}])], "task 8"),
        ([_task(9, "p1.png", [_rect("a", "NOT_A_TYPE", (1, 1, 5, 5))])], "task 9"),
        ([_task(10, "missing.png", [])], "task 10: image"),
        ([_task(11, "p1.png", [{"id": "c", "type": "choices", "from_name": "page_type", "value": {"choices": ["menu"]}}])], "task 11"),
    ],
)
def test_malformed_exports_name_the_task(images: Path, export: object, message: str) -> None:
    loader = lambda _b: Document(pages=[_page([])])  # noqa: E731
    with pytest.raises(LabelImportError, match=message):
        import_tasks(export, images, loader)  # type: ignore[arg-type]


def _pred(name: str, conf: float, cpt: list[str], intents: list[str], npi: str | None = None,
          reasons: list[str] | None = None) -> Prediction:
    return Prediction(
        document=name, document_id=f"sha256:{name}", model_version="m",
        pages=[PagePrediction(page=1, type="referral_order", confidence=conf)],
        referrals=[ReferralPrediction(
            pages=[1], intents=[IntentPrediction(label=i, confidence=conf) for i in intents],  # type: ignore[arg-type]
            fields=Fields(cpt=cpt, referring_npi=npi), review=Review(needed=bool(reasons), reasons=reasons or []))],
    )


def test_rank_prefers_uncertain_disagreeing_and_new_sources() -> None:
    sure = _pred("sure", 0.99, ["93306"], ["echo_tte"], npi="1245319599")
    unsure = _pred("unsure", 0.55, ["93306"], ["echo_tte"], npi="1245319599", reasons=["low_confidence:member_id"])
    disagree = _pred("disagree", 0.99, ["93306", "93350"], ["echo_tte"], npi="1245319599")
    new_source = _pred("new", 0.99, ["93306"], ["echo_tte"], npi="1999999999")
    top = rank([sure, unsure, disagree, new_source], budget=3, known_sources={"1245319599"})
    assert {c.document for c in top} == {"unsure", "disagree", "new"}
    assert any(w.startswith("cpt_implies:stress_echo") for w in next(c for c in top if c.document == "disagree").why)
    assert [c.score for c in top] == sorted((c.score for c in top), reverse=True)
    assert json.loads(top[0].model_dump_json())["why"]
