"""Test people whose ID numbers, names, phones and addresses must never be stored in clear."""

from __future__ import annotations

from typing import Any

# Valid resident ID numbers (GB 11643 check characters).
HOLDERS = [
    {
        "holder_id": "11010519491231002X",
        "name": "王秀英",
        "phone": "13800138000",
        "address": "广州市越秀区中山五路219号",
    },
    {
        "holder_id": "440106198001011234",
        "name": "陈志明",
        "phone": "13922334455",
        "address": "广州市天河区体育西路191号",
    },
    {
        "holder_id": "440104199512250021",
        "name": "Li Meiling",
        "phone": "02083331234",
        "address": "Haizhu District, Xingang Road 135",
    },
]


def loss_payload(holder: dict[str, str]) -> dict[str, Any]:
    """A command payload carrying personal fields (as an application form would)."""
    return {
        "kind": "report_loss",
        "channel": "card_bank_branch",
        "applicant": {
            "name": holder["name"],
            "phone": holder["phone"],
            "address": holder["address"],
            "id_number": holder["holder_id"],
        },
    }


def card_record(holder: dict[str, str], version: int = 1, state: str = "active") -> dict[str, Any]:
    """A card record in record_to_dict form, plus contact details as the central might send."""
    return {
        "holder_id": holder["holder_id"],
        "version": version,
        "card_number": "X00000019",
        "card_state": state,
        "social_security": "normal",
        "financial": "normal",
        "bank": "demo-bank",
        "generation": 3,
        "application": None,
        "collected_on": "2024-03-01",
        "cancellation_reason": None,
        "name": holder["name"],
        "phone": holder["phone"],
        "address": holder["address"],
    }
