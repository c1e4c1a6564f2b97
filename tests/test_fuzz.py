"""Property-based fuzzing of every endpoint and parameter: never a 5xx, every 4xx names the problem.

Hypothesis sends what browsers, scripts and attackers send: random text and unicode, numbers at and
beyond the limits, very long values, repeats and omissions. The time bound is the one the benchmark
targets for maximum parameters, with generous room for a loaded CI machine.
"""

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp import create_app
from webapp.demos import REGISTRY, load_all

load_all()
APP = create_app({"TESTING": True})
DEMOS = sorted(REGISTRY)
SLOW_REQUEST_S = 3.0


def raw_values(p):
    edges = []
    if p.kind in ("int", "float"):
        edges = [p.min, p.max, p.min - p.step, p.max + p.step, p.max + 2 * p.step, -p.max, p.max * 1000]
        edges = [repr(e) for e in edges] + [str(int(e)) for e in edges]
    return st.one_of(
        st.sampled_from(edges + ["", " ", "nan", "-inf", "1e308", "0x10", "１２", "never", "NULL", "%00"]),
        st.text(max_size=30),
        st.text(min_size=200, max_size=2000),
        st.integers(min_value=-10**12, max_value=10**12).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from([v for v, _ in p.choices] or ["x"]),
    )


@st.composite
def demo_queries(draw):
    demo = REGISTRY[draw(st.sampled_from(DEMOS))]
    query = []
    for p in demo.params:
        for _ in range(draw(st.integers(min_value=0, max_value=2))):  # missing, once, repeated
            query.append((p.name, draw(raw_values(p))))
    query += draw(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10)), max_size=2))
    return demo, query


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(demo_queries(), st.sampled_from(["", ".json", ".csv"]), st.booleans())
def test_no_input_breaks_a_demo(case, suffix, htmx):
    demo, query = case
    client = APP.test_client()
    headers = {"HX-Request": "true"} if htmx and not suffix else {}
    start = time.perf_counter()
    response = client.get(f"/demos/{demo.id}{suffix}", query_string=query, headers=headers)
    elapsed = time.perf_counter() - start
    assert response.status_code in (200, 400), (response.status_code, query)
    assert elapsed < SLOW_REQUEST_S, (elapsed, query)
    if response.status_code == 400:
        body = response.get_data(as_text=True)
        names = {p.name for p in demo.params}
        if suffix == ".json":
            assert response.get_json()["param"] in names
        else:
            assert any(name in body for name in names) and "allowed" in body


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_unknown_paths_are_404_not_500(slug, demo):
    client = APP.test_client()
    for url in (f"/lessons/{slug}", f"/demos/{demo}", f"/demos/{demo}.json"):
        assert client.get(url).status_code in (200, 308, 404, 405), url
