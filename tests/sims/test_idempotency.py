"""The payment store against the documented rules, the double charge against its closed form, the
race against an exhaustive check of every schedule, and real threads on a real SQLite file."""

from __future__ import annotations

import itertools
import json
import math
import threading

import pytest

from webapp.sims import idempotency as m
from webapp.sims.idempotency import CheckThenInsertStore, PaymentStore

AMOUNT = m.AMOUNT_CENTS


# ---- the store: documented behaviour -----------------------------------------------------------

def test_retry_with_same_key_replays_the_stored_response():
    with PaymentStore() as s:
        first = s.charge(AMOUNT, key="k", order="o")
        again = s.charge(AMOUNT, key="k", order="o", now_ms=500)
        assert first.status == 200 and not first.replayed
        assert again.status == 200 and again.replayed
        assert again.body == first.body  # same charge id, same body
        assert s.count_charges() == 1 and s.card_network_calls == 1


def test_without_a_key_every_request_charges():
    with PaymentStore() as s:
        ids = {s.charge(AMOUNT, order="o").body["id"] for _ in range(3)}
        assert len(ids) == 3 and s.count_charges() == 3


def test_same_key_different_parameters_is_rejected_and_charges_nothing():
    with PaymentStore() as s:
        s.charge(AMOUNT, key="k", order="o")
        other = s.charge(AMOUNT + 1, key="k", order="o")
        assert other.status == 422 and other.body["error"]["code"] == "idempotency_key_reused"
        assert s.count_charges() == 1
        # The original is untouched: its retry still replays the 200.
        assert s.charge(AMOUNT, key="k", order="o").replayed


def test_errors_are_stored_and_replayed_too():
    with PaymentStore() as s:
        first = s.charge(AMOUNT, key="k", order="o", card=m.CARD_DECLINED)
        again = s.charge(AMOUNT, key="k", order="o", card=m.CARD_DECLINED)
        assert (first.status, again.status) == (402, 402) and again.replayed
        assert s.card_network_calls == 1 and s.count_charges() == 0


def test_validation_errors_are_not_stored():
    with PaymentStore() as s:
        assert s.charge(0, key="k", order="o").status == 400
        assert s.key_row("k") is None
        assert s.charge(AMOUNT, key="k", order="o").status == 200


def test_a_copy_arriving_in_flight_gets_409_and_is_not_executed():
    with PaymentStore() as s:
        first = s.charge_steps(AMOUNT, key="k", order="o")
        step = next(first)
        assert step.sql == m.SQL_CLAIM and step.ok
        assert s.key_row("k")["state"] == "in_progress"
        conflict = s.charge(AMOUNT, key="k", order="o")
        assert conflict.status == 409 and conflict.body["error"]["code"] == "idempotency_key_in_use"
        assert s.card_network_calls == 0  # the conflict never reached the bank ...
        done = m._finish(first)
        assert done.status == 200 and s.count_charges() == 1
        assert s.card_network_calls == 1  # ... only the first copy did
        assert s.charge(AMOUNT, key="k", order="o").replayed  # and now the retry is answered


def test_keys_expire_after_24_hours():
    with PaymentStore() as s:
        s.charge(AMOUNT, key="k", order="o", now_ms=0)
        assert s.charge(AMOUNT, key="k", order="o", now_ms=m.KEY_TTL_MS - 1).replayed
        late = s.charge(AMOUNT, key="k", order="o", now_ms=m.KEY_TTL_MS)
        assert late.status == 200 and not late.replayed
        assert s.count_charges() == 2


def test_prune_removes_only_old_keys():
    with PaymentStore() as s:
        s.charge(AMOUNT, key="old", order="o", now_ms=0)
        s.charge(AMOUNT, key="new", order="o", now_ms=m.KEY_TTL_MS)
        assert s.prune(now_ms=m.KEY_TTL_MS) == 1
        assert s.key_row("old") is None and s.key_row("new") is not None


def test_key_rules_table_matches_the_documented_behaviour():
    rules = {r["rule"]: r for r in m.key_rules()}
    got = {name: (r["first"]["status"], r["second"]["status"], r["second"]["replayed"], r["charges"],
                  r["card_network_calls"]) for name, r in rules.items()}
    assert got == {
        "Retry with the same key": (200, 200, True, 1, 1),
        "Same key, different amount": (200, 422, False, 1, 1),
        "Same key while the first is in flight": (200, 409, False, 1, 1),
        "A declined card, retried": (402, 402, True, 0, 1),
        "Invalid request, then a valid one": (400, 200, False, 1, 1),
        "Retry 25 hours later": (200, 200, False, 2, 2),
    }


# ---- double-charge: the seed's story and its closed form ---------------------------------------

def test_default_run_is_deterministic_and_json_ready():
    a, b = m.double_charge(), m.double_charge()
    assert a == b
    assert json.loads(json.dumps(a)) == a
    assert m.double_charge(seed=2) != a


def test_seed_story_keys_turn_duplicates_into_replays():
    r = m.double_charge()  # 20 orders, 20% of responses lost, 3 retries
    no_key, key = r["modes"]["no_key"], r["modes"]["key"]
    assert no_key["attempts"] == key["attempts"]  # same losses in both modes
    assert no_key["charges"] == no_key["attempts"] > no_key["orders"]
    assert no_key["duplicate_charges"] == no_key["charges"] - 20
    assert no_key["overcharged"] == round(no_key["duplicate_charges"] * 99.99, 2)
    assert key["charges"] == 20 and key["duplicate_charges"] == 0 and key["overcharged"] == 0
    assert key["replayed_responses"] > 0
    # Every order appears exactly once in the keyed ledger; the unkeyed one flags the repeats.
    assert sorted(row["order"] for row in key["ledger"]) == sorted(f"order-{n}" for n in range(1, 21))
    assert sum(row["duplicate"] for row in no_key["ledger"]) == no_key["duplicate_charges"]


def test_sequence_diagram_shows_the_lost_response_and_the_replay():
    r = m.double_charge()
    shown = r["shown_order"]
    seq_key = r["modes"]["key"]["sequence"]
    seq_plain = r["modes"]["no_key"]["sequence"]
    answers = [msg for msg in seq_key if msg["from"] == "api" and msg["to"] == "client"]
    assert answers[0]["lost"]  # the first order shown is one whose first answer was lost
    assert "(replayed)" in answers[1]["label"]
    assert any("UNIQUE constraint failed" in msg["label"] for msg in seq_key if msg["from"] == "ledger")
    charges_sql = [msg for msg in seq_plain if msg["to"] == "ledger" and msg["label"].startswith("INSERT INTO charges")]
    assert len(charges_sql) == len([msg for msg in seq_plain if msg["from"] == "client" and msg["to"] == "api"]) >= 2
    assert all(msg["params"][0] == f"order-{shown}" for msg in charges_sql)
    times = [msg["t_ms"] for msg in seq_key]
    assert times == sorted(times)
    # Second attempt starts after the client timeout plus the first backoff (100 ms).
    sends = [msg["t_ms"] for msg in seq_key if msg["from"] == "client" and msg["to"] == "api"]
    assert sends[:2] == [0, m.CLIENT_TIMEOUT_MS + m.BACKOFF_BASE_MS]


def test_show_order_is_clamped_and_honoured():
    assert m.double_charge(orders=5, show_order=3)["shown_order"] == 3
    assert m.double_charge(orders=5, show_order=400)["shown_order"] == 5


def test_no_loss_or_no_retries_means_no_duplicates():
    assert m.double_charge(loss_pct=0)["modes"]["no_key"]["duplicate_charges"] == 0
    r = m.double_charge(loss_pct=60, retries=0)
    assert r["modes"]["no_key"]["duplicate_charges"] == 0
    assert r["modes"]["no_key"]["client_never_answered"] > 0  # ...but the clients are left guessing


def _attempts_moments(p: float, retries: int) -> tuple[float, float]:
    """Mean and variance of the attempts one order makes: stop at the first answer, or at retries+1."""
    dist = {i: p ** (i - 1) * (1 - p) for i in range(1, retries + 1)}
    dist[retries + 1] = p ** retries
    mean = sum(i * q for i, q in dist.items())
    return mean, sum((i - mean) ** 2 * q for i, q in dist.items())


@pytest.mark.parametrize("loss_pct,retries,seed", [(20, 3, 1), (50, 3, 2), (70, 8, 3)])
def test_duplicates_match_the_closed_form(loss_pct, retries, seed):
    orders = 500
    r = m.double_charge(orders=orders, loss_pct=loss_pct, retries=retries, seed=seed)
    mean, var = _attempts_moments(loss_pct / 100, retries)
    assert r["expected"]["attempts"] == pytest.approx(orders * mean, abs=0.01)
    measured = r["modes"]["no_key"]["attempts"]
    assert abs(measured - orders * mean) < 4 * math.sqrt(orders * var)
    assert r["modes"]["no_key"]["duplicate_charges"] == measured - orders
    assert r["modes"]["key"]["charges"] == orders
    p_gave_up = (loss_pct / 100) ** (retries + 1)
    gave_up = r["modes"]["no_key"]["client_never_answered"]
    assert abs(gave_up - orders * p_gave_up) < 4 * math.sqrt(orders * p_gave_up * (1 - p_gave_up)) + 1


# ---- the race: two copies, step by step --------------------------------------------------------

def test_named_interleavings():
    serial = m.idempotency_race("serial")["designs"]
    lockstep = m.idempotency_race("lockstep")["designs"]
    inside = m.idempotency_race("b-inside-a")["designs"]
    for design in serial.values():  # an everyday retry: both designs replay
        assert design["charges"] == 1 and design["responses"]["B"]["replayed"]
    assert lockstep["check_then_insert"]["charges"] == 2
    assert lockstep["check_then_insert"]["responses"]["B"]["status"] == 500
    assert inside["check_then_insert"]["charges"] == 2
    for r in (lockstep, inside):
        atomic = r["atomic_claim"]
        assert atomic["charges"] == 1 and atomic["responses"]["B"]["status"] == 409
        assert atomic["retry_after_conflict"]["replayed"]  # B's client retries and gets A's answer
        loser = next(s for s in atomic["steps"] if not s["ok"])
        assert loser["copy"] == "B" and "UNIQUE constraint failed" in loser["result"]


def test_race_steps_record_the_database_after_each_statement():
    steps = m.idempotency_race("lockstep")["designs"]["check_then_insert"]["steps"]
    assert [s["copy"] for s in steps] == list("ABABAB")
    assert [s["charges_after"] for s in steps] == [0, 0, 1, 2, 2, 2]
    assert steps[0]["result"] == steps[1]["result"] == "no row"  # both checks pass: the bug


def test_random_interleaving_is_seeded():
    a, b = m.idempotency_race("random", 7), m.idempotency_race("random", 7)
    assert a == b and len(a["schedule"]) == m.RANDOM_SCHEDULE_LENGTH
    schedules = {m.idempotency_race("random", s)["schedule"] for s in range(20)}
    assert len(schedules) > 10


def test_explicit_schedules_and_bad_ones():
    assert m.idempotency_race("abab")["schedule"] == "ABAB"
    for bad in ("", "ABC", "A" * (m.MAX_SCHEDULE_LENGTH + 1), "sideways"):
        with pytest.raises(ValueError):
            m.schedule_for(bad, 1)


def test_every_schedule_atomic_never_double_charges_and_naive_does_exactly_when_checks_overlap():
    """All 2**8 schedules. The naive store double-charges iff each copy's check (its 1st statement)
    ran before the other's record (its 3rd): the textbook time-of-check/time-of-use window."""
    seen_double = 0
    for letters in itertools.product("AB", repeat=8):
        r = m.idempotency_race("".join(letters))["designs"]
        atomic, naive = r["atomic_claim"], r["check_then_insert"]
        assert atomic["charges"] == 1
        assert sorted(x["status"] for x in atomic["responses"].values()) in ([200, 200], [200, 409])
        ran = naive["ran"]
        pos = {c: [i for i, x in enumerate(ran) if x == c] for c in "AB"}
        overlap = all(len(pos[c]) == 3 and len(pos[o]) >= 1 and pos[o][0] < pos[c][2]
                      for c, o in (("A", "B"), ("B", "A")))
        assert naive["double_charged"] == overlap, ran
        seen_double += overlap
    assert seen_double > 0


# ---- real threads on a real SQLite file --------------------------------------------------------

THREADS = 16


def _hammer(path, store_cls, key, pause_after_first_statement: bool):
    """THREADS workers, each with its own connection, send the same keyed request at once."""
    barrier = threading.Barrier(THREADS)
    responses, errors = [], []

    def worker():
        try:
            with store_cls(str(path)) as store:
                steps = store.charge_steps(AMOUNT, key=key, order="order-1")
                if pause_after_first_statement:
                    next(steps)  # everyone runs its first statement (check, or claim) ...
                    barrier.wait()  # ... before anyone goes on
                else:
                    barrier.wait()  # all start together; the scheduler picks the interleaving
                responses.append(m._finish(steps))
        except Exception as e:  # pragma: no cover - surfaced by the assert below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return responses


def _charges(path, key):
    with PaymentStore(str(path)) as s:
        return [row for row in s.ledger() if row["key"] == key]


def test_threads_on_a_file_atomic_claim_charges_exactly_once(tmp_path):
    db = tmp_path / "ledger.sqlite"
    PaymentStore(str(db)).close()  # create the schema once, before the rush
    for round_ in range(3):
        key = f"order-1-txn-{round_}"
        responses = _hammer(db, PaymentStore, key, pause_after_first_statement=False)
        assert len(_charges(db, key)) == 1
        assert len(responses) == THREADS
        winners = [r for r in responses if r.status == 200 and not r.replayed]
        assert len(winners) == 1
        ids = {r.body["id"] for r in responses if r.status == 200}
        assert len(ids) == 1  # replays carry the winner's charge id
        assert all(r.status in (200, 409) for r in responses)


def test_threads_on_a_file_forced_overlap(tmp_path):
    """Everyone has run its first statement before anyone runs its second: the worst interleaving.
    The atomic claim still charges once; check-then-insert charges once per thread."""
    db = tmp_path / "ledger.sqlite"
    PaymentStore(str(db)).close()
    atomic = _hammer(db, PaymentStore, "atomic", pause_after_first_statement=True)
    assert len(_charges(db, "atomic")) == 1
    assert len([r for r in atomic if r.status == 200 and not r.replayed]) == 1
    # The others either found the claim in progress (409) or, if the winner had finished by
    # their look-up, got its answer replayed.
    assert all(r.status == 409 or r.replayed for r in atomic if not (r.status == 200 and not r.replayed))

    naive = _hammer(db, CheckThenInsertStore, "naive", pause_after_first_statement=True)
    assert len(_charges(db, "naive")) == THREADS  # every check saw no key
    assert sorted(r.status for r in naive) == [200] + [500] * (THREADS - 1)


def test_max_parameters_stay_bounded():
    import time

    t = time.perf_counter()
    m.double_charge(orders=500, loss_pct=90, retries=8, show_order=500, seed=1)
    assert time.perf_counter() - t < 1.5  # target 0.3 s; generous for a shared machine


# ---- what the demos draw: per-order rows, the learner's own schedule --------------------------

def test_per_order_rows_add_up_to_the_totals():
    r = m.double_charge(orders=60, loss_pct=40, retries=2, seed=3)
    rows = r["per_order"]
    assert [row["order"] for row in rows] == [f"order-{n}" for n in range(1, 61)]
    no_key, key = r["modes"]["no_key"], r["modes"]["key"]
    assert sum(row["attempts"] for row in rows) == no_key["attempts"] == key["attempts"]
    assert sum(row["charges_no_key"] for row in rows) == no_key["charges"]
    assert all(row["charges_key"] == 1 for row in rows)
    # Without a key every attempt reached the server and charged.
    assert all(row["charges_no_key"] == row["attempts"] for row in rows)
    assert sum(not row["answered"] for row in rows) == no_key["client_never_answered"]


def test_a_typed_schedule_replaces_the_named_interleaving():
    typed = m.idempotency_race("serial", schedule="abab")
    assert typed["interleaving"] == "custom" and typed["schedule"] == "ABAB"
    naive = typed["designs"]["check_then_insert"]
    assert naive["ran"].startswith("ABAB") and naive["charges"] == 2
    assert m.idempotency_race("serial", schedule="  ")["interleaving"] == "serial"  # blank: the named one
    b_first = m.idempotency_race(schedule="BBAA")["designs"]["atomic_claim"]
    assert b_first["responses"]["A"]["status"] == 409 and b_first["responses"]["B"]["status"] == 200
    assert b_first["charges"] == 1 and b_first["ledger"][0]["order"] == "order-42"


def test_check_then_insert_double_charges_in_18_of_the_20_interleavings():
    from itertools import combinations

    schedules = ["".join("A" if i in pos else "B" for i in range(6)) for pos in combinations(range(6), 3)]
    assert len(schedules) == 20
    double = [s for s in schedules if m.idempotency_race(schedule=s)["designs"]["check_then_insert"]["charges"] > 1]
    assert sorted(set(schedules) - set(double)) == ["AAABBB", "BBBAAA"]
    assert all(m.idempotency_race(schedule=s)["designs"]["atomic_claim"]["charges"] == 1 for s in schedules)
