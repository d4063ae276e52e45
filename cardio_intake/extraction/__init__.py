"""Post-processing: the model's raw logits -> the contract's ``Prediction``.

For the model (cardio_intake.model):

- ``build.split_document(raw_pages, calibration)``: referral split from the pages' tag logits, to
  fill ``RawDocumentOutput.referral_pages`` before pooling intents per referral.
- ``build.build_prediction(raw, calibration, document_name, document_id) -> Prediction``.
- ``fit.fit_calibration(raws, validation_rows) -> Calibration``; ``Calibration.save(path)`` /
  ``Calibration.load(path)`` (JSON beside the model artifact).
- ``scoring.score_predictions(predictions, rows) -> dict`` for the test-split figures.

Modules: normalize (field normalizers), entities (BIO -> spans -> Fields), calibration
(temperatures, thresholds, the artifact), review (review reasons), split (multi-patient packets).
Heavy imports stay out: numpy and pydantic only (simple_icd_10_cm loads on first ICD code).
"""
