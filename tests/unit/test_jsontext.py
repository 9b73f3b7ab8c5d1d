"""JSON decoding for text from clients and remote servers (``owncast_core.domain.jsontext``)."""

from __future__ import annotations

import json

import pytest

from owncast_core.domain import jsontext


def test_lone_surrogates_become_replacement_characters_everywhere() -> None:
    text = '{"a\\ud800": ["x\\udc00y", {"k": "\\udbff"}], "ok": "\\ud83d\\ude00", "n": 1}'
    value = jsontext.loads(text)
    assert value == {"a\ufffd": ["x\ufffdy", {"k": "\ufffd"}], "ok": "\U0001f600", "n": 1}
    assert jsontext.loads(text.encode()) == value
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # raised UnicodeEncodeError before


def test_text_without_escapes_is_json_loads() -> None:
    assert jsontext.loads('{"body": "héllo 😀", "list": [1, 2.5, null, true]}') == {
        "body": "héllo 😀", "list": [1, 2.5, None, True],
    }


@pytest.mark.parametrize("text", ["{not json", "", b"\xff\xfe"])
def test_not_json_raises_value_error(text: str | bytes) -> None:
    with pytest.raises(ValueError):
        jsontext.loads(text)
