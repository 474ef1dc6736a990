import hashlib
import hmac

import pytest

from deltaplane.exchange.delta.signing import prehash, query_string, sign, verify, ws_auth_signature

# Computed once by hand with `openssl dgst -sha256 -hmac my-secret` over the literal prehash strings.
POST_VECTOR = "990c900892aa0b5ec3d864c19fc8acfacab66b846fd29b7a98483ff4bfffa7d9"
GET_VECTOR = "2b632f335b835eac2c28a1b573c4b19887a88e0c0961491f24392fb299bdd370"


def test_prehash_concatenates_method_timestamp_path_query_body():
    assert prehash("get", "1700000000", "/v2/orders", "?states=open", "") == "GET1700000000/v2/orders?states=open"
    assert prehash("POST", "1", "/v2/orders", "", '{"a":1}') == 'POST1/v2/orders{"a":1}'


def test_literal_vectors():
    body = '{"product_id":27,"size":1,"side":"buy"}'
    assert sign("my-secret", "POST", "1700000000", "/v2/orders", "", body) == POST_VECTOR
    assert sign("my-secret", "GET", "1700000000", "/v2/orders", "?product_ids=27&states=open,pending") == GET_VECTOR


@pytest.mark.parametrize(("method", "path", "query", "body"), [
    ("GET", "/v2/wallet/balances", "", ""),
    ("GET", "/v2/orders", "?states=open,pending", ""),
    ("DELETE", "/v2/orders", "", '{"id":1,"product_id":2}'),
    ("POST", "/v2/orders", "", '{"size":3,"limit_price":"12.5"}'),
])
def test_sign_matches_hmac_over_documented_prehash(method, path, query, body):
    expected = hmac.new(b"s3cr3t", f"{method}1712345678{path}{query}{body}".encode(), hashlib.sha256).hexdigest()
    got = sign("s3cr3t", method, "1712345678", path, query, body)
    assert got == expected and got == got.lower() and len(got) == 64
    assert verify("s3cr3t", got, method, "1712345678", path, query, body)
    assert not verify("s3cr3t", got, method, "1712345679", path, query, body)


def test_query_must_carry_leading_question_mark():
    with pytest.raises(ValueError):
        prehash("GET", "1", "/v2/orders", "states=open")


def test_query_string_keeps_commas_and_drops_none():
    assert query_string(None) == ""
    assert query_string({"a": None}) == ""
    assert query_string({"states": "open,pending", "x": None, "flag": True}) == "?states=open,pending&flag=true"


def test_ws_auth_signature():
    expected = hmac.new(b"k", b"GET1700000000/live", hashlib.sha256).hexdigest()
    assert ws_auth_signature("k", "1700000000") == expected
