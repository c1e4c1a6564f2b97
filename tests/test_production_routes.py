"""Routes of "Use this in production": text/plain configs, their 404s and 400s, the panel on every
mapped demo and the lab, and the import page (CSRF, size limit, field-named errors, nothing run)."""

from __future__ import annotations

import re

import pytest

from webapp.demos import REGISTRY
from webapp.production import LIBRARIES
from webapp.production.policy import MAPPINGS


def _csrf(client) -> str:
    html = client.get("/production/import").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _post(client, config, fmt="auto"):
    return client.post("/production/import", data={"config": config, "format": fmt, "csrf_token": _csrf(client)})


@pytest.mark.parametrize("library", list(LIBRARIES))
def test_config_is_text_plain_for_every_library(client, library):
    response = client.get(f"/demos/backoff-timeline/config/{library}?max_attempts=7&jitter=full")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    # 7 attempts: 6 where the library counts retries only, and 5 in gRPC, which caps them.
    count = {"polly": 6, "go": 6, "envoy": 6, "grpc": 5}.get(library, 7)
    assert re.search(rf"\b{count}\b", response.get_data(as_text=True))


def test_unknown_library_is_a_404_listing_the_known_ones(client):
    response = client.get("/demos/backoff-timeline/config/hystrix")
    assert response.status_code == 404
    assert all(name in response.get_data(as_text=True) for name in LIBRARIES)


def test_demo_without_a_mapping_is_a_404_that_says_so(client):
    response = client.get("/demos/backoff-contention/config/tenacity")
    assert response.status_code == 404 and "no production mapping" in response.get_data(as_text=True)
    response = client.get("/demos/bulkhead/config/tenacity")  # mapped, but tenacity has no bulkhead
    assert response.status_code == 404 and "cannot express" in response.get_data(as_text=True)


def test_bad_state_is_the_demos_own_400(client):
    config = client.get("/demos/backoff-timeline/config/grpc?base_ms=99999")
    csv = client.get("/demos/backoff-timeline.csv?base_ms=99999")
    assert config.status_code == csv.status_code == 400
    assert config.get_data(as_text=True) == csv.get_data(as_text=True)


def test_notes_ride_along_as_comments(client):
    text = client.get("/demos/backoff-timeline/config/envoy").get_data(as_text=True)
    assert "# What does not map exactly" in text and "(2ⁿ − 1)" in text


@pytest.mark.parametrize("demo_id", sorted(MAPPINGS))
def test_every_mapped_demo_has_the_panel(client, demo_id):
    html = client.get(f"/demos/{demo_id}").get_data(as_text=True)
    assert "Use this in production" in html and "data-copy-config" in html
    assert f'/demos/{demo_id}/config/' in html


def test_the_lab_page_has_the_panel_for_its_edges(client):
    html = client.get("/lab").get_data(as_text=True)
    assert "Use this in production" in html and "call_gateway_search" in html


def test_demo_without_mapping_has_no_panel(client):
    assert "Use this in production" not in client.get("/demos/idempotency-race").get_data(as_text=True)


def test_panel_fragment_switches_library(client):
    response = client.get("/demos/breaker-timeline/production/polly?open_s=12", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "BreakDuration" in html and "00:00:12" in html
    assert 'aria-current="true"' in html and "Polly v8" in html


def test_import_opens_the_demo_in_the_pasted_state(client):
    grpc = '{"methodConfig": [{"name": [{"service": "a.B"}], "retryPolicy": {"maxAttempts": 4, ' \
           '"initialBackoff": ".2s", "maxBackoff": "3s", "backoffMultiplier": 1.5, ' \
           '"retryableStatusCodes": ["UNAVAILABLE"]}}]}'
    response = _post(client, grpc)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/demos/backoff-timeline?base_ms=200&amp;multiplier=1.5&amp;max_attempts=4&amp;cap_ms=3000"' in html
    assert "not modelled" in html and "retryableStatusCodes" in html


def test_import_reads_envoy_yaml_and_clamps_what_the_demo_cannot_show(client):
    response = _post(client, "retry_policy:\n  num_retries: 30\n  retry_back_off:\n    base_interval: 0.05s\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "clamped" in html and "max_attempts = 10" in html


@pytest.mark.parametrize("config,fmt,field", [
    ('{"methodConfig": [{"retryPolicy": {"maxAttempts": 1, "initialBackoff": "1s", "maxBackoff": "2s", '
     '"backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]}}]}', "grpc", "retryPolicy.maxAttempts"),
    ('{"methodConfig": [{"retryPolicy": {"maxAttempts": 3, "initialBackoff": "100ms", "maxBackoff": "2s", '
     '"backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]}}]}', "grpc", "retryPolicy.initialBackoff"),
    ('{"methodConfig": [{"retryPolicy": {"maxAttempts": 3}}]}', "grpc", "retryPolicy.initialBackoff"),
    ("retry_policy:\n  num_retries: lots\n", "envoy", "retry_policy.num_retries"),
    ("resilience4j:\n  retry:\n    instances:\n      a:\n        waitDuration: soon\n", "auto", "waitDuration"),
    ('{"Retry": {"Delay": "2 seconds"}}', "polly", "Retry.Delay"),
    ('{"Retry": {"BackoffType": "Fibonacci"}}', "polly", "Retry.BackoffType"),
    ("{not json", "grpc", "config"),
    ("a: [unclosed\n", "envoy", "config"),
    ("!!python/object/apply:os.system ['echo pwned']\n", "envoy", "config"),
])
def test_bad_configuration_is_a_400_naming_the_field(client, config, fmt, field):
    response = _post(client, config, fmt)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and field in html, html[-1500:]


def test_import_limit_is_64_kb(client):
    # Over 64 KB the whole body is refused before it is read (security.py's MAX_CONTENT_LENGTH).
    response = _post(client, "# " + "x" * (64 * 1024) + "\nretry_policy: {}\n")
    assert response.status_code == 413 and "at most 64 KB" in response.get_data(as_text=True)


def test_alias_bomb_is_read_in_linear_time(client):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20))
    response = _post(client, bomb, "envoy")  # no retry_policy: the whole document is read as one
    assert response.status_code in (200, 400)


def test_import_needs_the_csrf_token(client):
    assert client.post("/production/import", data={"config": "{}"}).status_code == 403


def test_import_page_offers_every_format(client):
    html = client.get("/production/import").get_data(as_text=True)
    assert all(name in html for name in ("gRPC service config", "Envoy", "resilience4j", "Polly"))
    assert 'name="csrf_token"' in html and 'maxlength="65536"' in html


@pytest.mark.parametrize("slug,demo_id", [("retry-backoff", "retry-storm"), ("circuit-breaker", "cascade"),
                                          ("timeouts", "timeout-retry-budget")])
def test_lesson_pages_carry_the_panel_in_each_demos_state(client, slug, demo_id):
    param = next(iter(REGISTRY[demo_id].params)).name
    value = REGISTRY[demo_id].params.by_name[param]
    state = value.to_text(value.min if value.default != value.min else value.max)
    html = client.get(f"/lessons/{slug}?{demo_id}.{param}={state}").get_data(as_text=True)
    assert f'id="production-{demo_id}"' in html
    assert f"/demos/{demo_id}/config/" in html and f"{param}={state}" in html
