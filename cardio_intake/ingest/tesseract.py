"""pytesseract with :data:`cardio_intake.settings.TESSERACT_ENV` in every tesseract it starts.

pytesseract passes its module global ``environ`` (``os.environ``, bound at its import) as the
subprocess environment. Here that global becomes a live view of ``os.environ`` with
``TESSERACT_ENV`` underneath, so tesseract runs on one OpenMP thread while this process (torch)
keeps all its cores. Import pytesseract from here, never directly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

import pytesseract
import pytesseract.pytesseract as _impl

from cardio_intake.settings import TESSERACT_ENV

__all__ = ["TesseractEnviron", "pytesseract"]


class TesseractEnviron(Mapping[str, str]):
    """``os.environ`` as it is at each call, plus :data:`TESSERACT_ENV` where the caller has not set
    the variable (as with the runtime environment, a value set by the caller wins)."""

    def _merged(self) -> dict[str, str]:
        return {**TESSERACT_ENV, **os.environ}

    def __getitem__(self, key: str) -> str:
        return self._merged()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())


_impl.environ = TesseractEnviron()  # type: ignore[assignment]
