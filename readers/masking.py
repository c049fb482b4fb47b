"""Masking of personal numbers and names for screens, logs and command output.

A local copy of the rule (keep the first 6 and last 4 characters) because `readers` must not
import `branch_app.domain`.
"""

from __future__ import annotations


def mask_number(value: str, keep_start: int = 6, keep_end: int = 4) -> str:
    """`440106198501011234` -> `440106********1234`; too short to mask safely: all stars."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_name(name: str) -> str:
    """`王小明` -> `王**`: enough for the teller to recognise the card, not to copy the name."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)
