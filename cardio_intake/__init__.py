"""cardio-intake: cardiology referral fax intake (OCR, layout-aware extraction, triage, tracking)."""

from cardio_intake import settings as _settings  # noqa: F401  (sets the offline/thread environment first)

__version__ = "0.1.0"
