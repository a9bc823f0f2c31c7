"""PII masking of free text: e-mail addresses, phone/card/SSN-like digit runs, tel/sip URIs.

Pure (no logging framework, no SDK), so pure rule modules can mask text too: the log formatter
(``core.observability``) and the transcript redaction (``transcripts.render``) share these patterns.
"""

from __future__ import annotations

import re

MASK = "***"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Any run of 7+ digits, optionally split by spaces, dots, dashes or brackets (phones, cards, SSNs, accounts),
# except an ISO date or time, which is kept readable.
_DIGIT_RUN = re.compile(r"(?<![\w])(?!\d{4}-\d{2}-\d{2})\+?\(?\d(?:[\s().-]{0,2}\d){6,}(?![\w])")
_TEL_URI = re.compile(r"\b(?:tel|sip|sips):[^\s\"',;]+", re.IGNORECASE)


def mask_text(text: str) -> str:
    """Replace e-mail addresses, phone/card/SSN-like digit runs and tel/sip URIs in free text."""
    text = _TEL_URI.sub(MASK, text)
    text = _EMAIL.sub(MASK, text)
    return _DIGIT_RUN.sub(MASK, text)
