"""Turn exported Label Studio tasks into a finished Label Studio export carrying the gold labels of
generated packets, as a person would after correcting the pre-annotations."""

from __future__ import annotations

from typing import Any

from cardio_intake.corpus.gold import GoldPacket


def gold_annotation(task: dict[str, Any], packet: GoldPacket) -> dict[str, Any]:
    page_no = int(task["data"]["page"])
    page = packet.pages[page_no - 1]
    width, height = task["data"]["width"], task["data"]["height"]
    result: list[dict[str, Any]] = []
    referral = next(r for r in packet.referrals if page_no in r.pages)
    for k, ent in enumerate(e for r in packet.referrals for e in r.entities if e.page == page_no):
        x0, y0, x1, y1 = ent.bbox
        geometry = {"x": x0 / 10, "y": y0 / 10, "width": (x1 - x0) / 10, "height": (y1 - y0) / 10, "rotation": 0}
        common = {"id": f"g{k}", "to_name": "image", "original_width": width, "original_height": height,
                  "image_rotation": 0}
        result.append({**common, "from_name": "entity", "type": "rectanglelabels",
                       "value": {**geometry, "rectanglelabels": [ent.type]}})
        result.append({**common, "from_name": "transcription", "type": "textarea",
                       "value": {**geometry, "text": [ent.text]}})
    result.append({"id": "pt", "from_name": "page_type", "to_name": "image", "type": "choices",
                   "value": {"choices": [page.type]}})
    result.append({"id": "in", "from_name": "intents", "to_name": "image", "type": "choices",
                   "value": {"choices": list(referral.intents)}})
    return {"id": 1, "result": result, "was_cancelled": False, "updated_at": "2026-11-27T10:00:00Z"}


def finished_export(tasks: list[dict[str, Any]], packets: dict[str, GoldPacket]) -> list[dict[str, Any]]:
    out = []
    for n, task in enumerate(tasks, start=1):
        packet = packets[task["data"]["document"]]
        out.append({"id": n, "data": task["data"], "annotations": [gold_annotation(task, packet)],
                    "predictions": task["predictions"]})
    return out
