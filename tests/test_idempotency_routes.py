"""The idempotency lesson's demos through their URLs: the seed's story, the diagrams, a typed schedule."""

import re

from webapp.demos import load_all

load_all()
HX = {"HX-Request": "true"}


def test_double_charge_json_tells_the_seeds_story(client):
    data = client.get("/demos/double-charge.json").get_json()
    modes = data["result"]["modes"]
    summary = {mode: {k: m[k] for k in ("orders", "charges", "duplicate_charges", "overcharged")}
               for mode, m in modes.items()}
    assert summary == {"no_key": {"orders": 20, "charges": 27, "duplicate_charges": 7, "overcharged": 699.93},
                       "key": {"orders": 20, "charges": 20, "duplicate_charges": 0, "overcharged": 0.0}}
    assert len(modes["no_key"]["ledger"]) == 27 and len(modes["key"]["ledger"]) == 20
    assert modes["key"]["sequence"][0]["label"].startswith("POST /charge-card amount=99.99")


def test_double_charge_page_draws_both_sequence_diagrams_and_both_ledgers(client):
    html = client.get("/demos/double-charge", headers=HX).get_data(as_text=True)
    assert html.count('class="idem-seq"') == 2
    assert html.count("idem-seq-lost") == 4  # order 1 loses two answers, in each mode
    assert "200 ch_1 (replayed)" in html and "UNIQUE constraint failed: idempotency_keys.key" in html
    assert html.count("charged again") == 2  # without a key, attempts 2 and 3 charge again
    assert html.count('class="idem-ledger-duplicate"') == 7  # the ledger marks every duplicate row
    assert "Same key, different amount" in html and "Retry 25 hours later" in html  # the key rules, live
    assert "Without keys, 20 orders became 27 charges: 7 duplicates, $699.93" in html


def test_double_charge_csv_has_one_row_per_order(client):
    lines = client.get("/demos/double-charge.csv?orders=7").get_data(as_text=True).strip().splitlines()
    assert lines[0] == "order,attempts,client_got_answer,charges_without_key,charges_with_key"
    assert len(lines) == 8 and lines[1].startswith("order-1,")


def test_the_chosen_order_is_drawn(client):
    html = client.get("/demos/double-charge?show_order=2", headers=HX).get_data(as_text=True)
    assert "Order 2, message by message" in html and "order-2-txn-1" in html


def test_race_defaults_double_charge_only_the_naive_design(client):
    data = client.get("/demos/idempotency-race.json").get_json()
    designs = data["result"]["designs"]
    assert data["params"] == {"interleaving": "lockstep", "schedule": "", "seed": 1}
    assert designs["check_then_insert"]["charges"] == 2 and designs["atomic_claim"]["charges"] == 1
    html = client.get("/demos/idempotency-race", headers=HX).get_data(as_text=True)
    assert "Lockstep (ABABAB): check-then-insert charges twice" in html
    assert html.count('class="race-money race-second"') == 1  # the second charge, highlighted once


def test_a_typed_schedule_is_a_link_and_wins_over_the_named_interleaving(client):
    html = client.get("/demos/idempotency-race?interleaving=serial&schedule=bbaa").get_data(as_text=True)
    assert "Your schedule BBAA" in html
    assert re.search(r'name="schedule" value="bbaa"', html)  # the form keeps what was typed
    assert "A gets 409" in html
    lesson = client.get("/lessons/idempotency?idempotency-race.schedule=BBAA"
                          "&revealed.naive-interleavings=1&revealed.atomic-second-copy=1").get_data(as_text=True)
    assert "Your schedule BBAA" in lesson


def test_a_bad_schedule_names_its_letters(client):
    response = client.get("/demos/idempotency-race.json?schedule=ABC")
    assert response.status_code == 400
    assert "A, B, a, b" in response.get_json()["error"]


def test_the_lessons_predictions_are_true_for_the_model(client, app):
    questions = app.extensions["lessons"]["idempotency"].questions
    dup = questions["duplicates-per-100"]
    expected = client.get("/demos/double-charge.json?orders=100").get_json()["result"]["expected"]
    assert dup.check(str(expected["duplicate_charges_no_key"]))[0]  # 24.8 per 100 orders
    race = client.get("/demos/idempotency-race.json").get_json()["result"]["designs"]["atomic_claim"]
    assert race["responses"]["B"]["status"] == 409 and race["retry_after_conflict"]["replayed"]
    assert questions["atomic-second-copy"].choices[questions["atomic-second-copy"].answer].startswith("409")
    assert questions["naive-interleavings"].choices[questions["naive-interleavings"].answer] == "18"
