"""A central error reaches the screen as a code and parameters, worded by the sync catalog."""

from __future__ import annotations

import string

import httpx
import pytest

from branch_app.i18n import t
from branch_app.i18n.catalogs.sync import MESSAGES
from sync import protocol as p
from sync.client import CentralClient, CentralRejected
from sync.protocol import PushCommand


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", list(p.ErrorCode))
def test_every_error_code_has_words_in_both_languages_for_its_params(code: p.ErrorCode) -> None:
    english, chinese = MESSAGES[f"sync.central.{code.value}"]
    params = set(p.ERROR_PARAMS.get(code, {}))
    assert placeholders(english) == placeholders(chinese) == params
    assert placeholders(p.ERROR_MESSAGE[code]) <= params  # the wire's English for API users


def test_the_wire_carries_a_code_and_params_not_a_translation() -> None:
    error = p.ProtocolError(p.ErrorCode.BATCH_TOO_LARGE)
    body = error.to_response().error
    assert body.code is p.ErrorCode.BATCH_TOO_LARGE
    assert body.params == {"max": p.MAX_BATCH_COMMANDS}
    assert str(p.MAX_BATCH_COMMANDS) in body.message
    assert "message_zh" not in body.model_dump()


def test_a_refusal_from_the_central_becomes_a_catalog_key_with_its_params() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            413,
            content=p.ProtocolError(p.ErrorCode.BATCH_TOO_LARGE).to_response().model_dump_json(),
        )

    client = CentralClient(
        "http://127.0.0.1:9", device_token="tok", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(CentralRejected) as caught:
        client.push([PushCommand.model_construct(id="a")])
    error = caught.value
    assert error.error_code is p.ErrorCode.BATCH_TOO_LARGE
    assert error.reason_key == "sync.central.batch_too_large"
    sentence = t(error.reason_key, language="zh", **error.params)
    assert sentence == f"每批最多 {p.MAX_BATCH_COMMANDS} 笔业务。"


def test_an_error_of_an_older_central_is_still_understood() -> None:
    old = b'{"error": {"code": "not_found", "message": "Not found.", "message_zh": "x"}}'
    decoded = p.decode_error(old)
    assert decoded is not None and decoded.error.code is p.ErrorCode.NOT_FOUND
