"""Bad input always gets the documented answer: a 422 with ``{"detail", "errors"}``, and one rule for ``top_k``."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from assistant.server import SECURITY_HEADERS
from tests.web.conftest import parse_html

QUESTION = "Which form of magnesium is gentlest on the stomach?"
JSON = {"content-type": "application/json"}

DEEP = 10_000
BODY_PARSE_FAILURES = [
    pytest.param('{"question": "caf\u00e9 au lait"}'.encode("latin-1"), "UTF-8", id="invalid UTF-8"),
    pytest.param(b'{"question": "ok \xe2\x82"}', "UTF-8", id="truncated UTF-8 sequence"),
    pytest.param(b"[" * DEEP + b"]" * DEEP, "nested", id="array nested 10000 deep"),
    pytest.param(b'{"question": "ok", "top_k": ' + b'{"":' * DEEP + b"1" + b"}" * DEEP + b"}", "nested",
                 id="object nested 10000 deep"),
    pytest.param(b'{"question": "ok", "top_k": ' + b"7" * 5000 + b"}", "digits", id="5000-digit top_k"),
    pytest.param(b'{"question": "ok", "top_k": -' + b"1" * 5000 + b"}", "digits", id="5000-digit negative top_k"),
]


@pytest.mark.parametrize(("body", "says"), BODY_PARSE_FAILURES)
def test_unparseable_bodies_are_422_with_the_errors_list(client: TestClient, body: bytes, says: str) -> None:
    response = client.post("/api/ask", content=body, headers=JSON)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert set(payload) == {"detail", "errors"}
    assert says in payload["detail"], payload["detail"]
    assert [e["field"] for e in payload["errors"]] == ["body"]
    assert says in payload["errors"][0]["message"]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_every_status_of_a_parse_failure_is_documented(client: TestClient) -> None:
    documented = set(client.get("/openapi.json").json()["paths"]["/api/ask"]["post"]["responses"])
    for param in BODY_PARSE_FAILURES:
        body = param.values[0]
        assert isinstance(body, bytes)
        assert str(client.post("/api/ask", content=body, headers=JSON).status_code) in documented


@pytest.mark.parametrize("raw", ["6.0", "6", "6e0", "0.6e1", "600e-2"])
def test_a_whole_number_written_as_a_float_is_that_number(client: TestClient, raw: str) -> None:
    as_float = client.post("/api/ask", content=f'{{"question": "{QUESTION}", "top_k": {raw}}}', headers=JSON)
    as_int = client.post("/api/ask", json={"question": QUESTION, "top_k": 6})
    assert as_float.status_code == 200, as_float.text
    assert as_float.json() == as_int.json()


@pytest.mark.parametrize("raw", ["6.5", "1e400", "-1e400", "NaN", "Infinity", "10.000001", "0.0", "11.0"])
def test_other_numbers_are_refused_with_a_reason(client: TestClient, raw: str) -> None:
    response = client.post("/api/ask", content=f'{{"question": "{QUESTION}", "top_k": {raw}}}', headers=JSON)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "top_k"
    assert "top_k" in response.json()["detail"]


def test_the_schema_says_what_top_k_accepts(client: TestClient) -> None:
    top_k = client.get("/openapi.json").json()["components"]["schemas"]["AskRequest"]["properties"]["top_k"]
    # JSON Schema's "integer" is any number with a zero fractional part, so 6.0 is one: the server agrees.
    assert top_k["type"] == "integer" and top_k["minimum"] == 1 and top_k["maximum"] == 10
    assert "6.0" in top_k["description"]


# The form sends top_k as text; the JSON path gets the same text as a JSON token. Both say yes or both say no.
TOP_K_TEXTS = ["3", " 3", "3 ", "3.0", "3e0", "+3", "\uff13", "\u0663", "\u0663.0", "03", "-3", "0", "11", "3.5",
               "1_0", "0x3", "NaN", "Infinity", "true", "null", '"3"', "[3]", "three", "\u00b3", "\u2462"]


@pytest.mark.parametrize("text", TOP_K_TEXTS)
def test_form_and_json_paths_agree_on_top_k(client: TestClient, text: str) -> None:
    json_status = client.post("/api/ask", content=f'{{"question": "{QUESTION}", "top_k": {text}}}',
                              headers=JSON).status_code
    form_status = client.post("/ask", data={"question": QUESTION, "top_k": text}).status_code
    assert (json_status, form_status) in {(200, 200), (422, 422)}, (json_status, form_status)


@pytest.mark.parametrize("text", ["\uff13", "\u0663", "+3"])
def test_the_form_refuses_what_json_refuses(client: TestClient, text: str) -> None:
    response = client.post("/ask", data={"question": QUESTION, "top_k": text})
    assert response.status_code == 422
    error = parse_html(response.text).find("p", id="question-error")
    assert error is not None and "top_k" in error.text().lower()


def test_a_blank_form_top_k_is_the_default(client: TestClient) -> None:
    response = client.post("/ask", data={"question": QUESTION, "top_k": ""})
    assert response.status_code == 200


def test_json_numbers_in_the_form_are_read_as_json_reads_them() -> None:
    """The form's parser is JSON's number grammar (as the JSON path reads a body), not Python's ``int()``."""
    from assistant.schemas import form_top_k

    assert form_top_k(None) == form_top_k("") == 3
    assert form_top_k("7") == form_top_k("7.0") == form_top_k("0.7e1") == 7
    for text in ("+7", "\uff17", "07", "7_0", json.dumps("7")):
        with pytest.raises(ValueError, match="top_k"):
            form_top_k(text)
