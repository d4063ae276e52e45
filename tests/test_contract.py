"""The contract's example JSON validates against our schemas, and the label sets match the contract."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from cardio_intake import config
from cardio_intake.labels import ENTITY_TYPES, INTENTS, PAGE_TYPES, QUEUES, intent_for_cpt
from cardio_intake.schemas import Prediction, TriageDecision, json_schemas


def _contract_text() -> str:
    if not config.CONTRACT_MD.exists():
        pytest.skip(f"contract not found at {config.CONTRACT_MD}")
    return config.CONTRACT_MD.read_text(encoding="utf-8")


def _json_blocks(text: str) -> list[str]:
    return re.findall(r"```json\n(.*?)```", text, flags=re.S)


def test_contract_prediction_example_validates() -> None:
    block = _json_blocks(_contract_text())[0].replace("sha256:…", "sha256:abc")
    pred = Prediction.model_validate(json.loads(block))
    assert pred.referrals[0].fields.patient_dob.isoformat() == "1952-03-14"  # type: ignore[union-attr]
    assert pred.referrals[0].entities[0].bbox == (412, 233, 530, 248)


def test_contract_triage_example_validates() -> None:
    block = _json_blocks(_contract_text())[1]
    decision = TriageDecision.model_validate(json.loads(block))
    assert decision.route.queue == "prior_auth"
    assert decision.orders[0].prior_auth.required is True


def test_label_sets_match_contract_tables() -> None:
    text = _contract_text()
    assert set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M)) == set(INTENTS)
    assert set(re.findall(r"^\| `([A-Z0-9_]+)` \|", text, flags=re.M)) == set(ENTITY_TYPES)
    for page_type in PAGE_TYPES:
        assert f"`{page_type}`" in text
    for queue in QUEUES:
        assert f"`{queue}`" in text


def test_bad_values_are_rejected() -> None:
    with pytest.raises(ValidationError):
        Prediction.model_validate(
            {"document": "x", "document_id": "sha256:1", "model_version": "m",
             "pages": [{"page": 0, "type": "fax_cover", "confidence": 0.5}], "referrals": []}
        )
    with pytest.raises(ValidationError):
        TriageDecision.model_validate({"orders": [], "route": {"queue": "nowhere", "priority": "routine"}})


def test_cpt_to_intent() -> None:
    assert intent_for_cpt("93306") == "echo_tte"
    assert intent_for_cpt("78452") == "nuclear_stress"
    assert intent_for_cpt("12345") is None
    assert intent_for_cpt("9330") is None


def test_json_schema_export_has_both_documents() -> None:
    schemas = json_schemas()
    assert schemas["prediction"]["title"] == "Prediction"
    assert "route" in schemas["triage_decision"]["properties"]
