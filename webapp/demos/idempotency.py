"""Demos of the idempotency lesson: the double charge on a real SQLite ledger, and the race of two
copies of one request through check-then-insert and through an atomic claim."""

from __future__ import annotations

from .. import charts
from ..params import Choice, Int, Seed, Text, params
from ..sims import idempotency as model
from . import Chart, Demo, Preset, Table, View, register

DOUBLE_CHARGE_PARAMS = params(
    Int("orders", "Orders", 20, 1, 500,
        help="How many customers pay $99.99, one after another."),
    Int("loss_pct", "Responses lost", 20, 0, 90, unit="%",
        help="The chance that the answer to one attempt never reaches the client, although the "
             "server did the work."),
    Int("retries", "Retries", 3, 0, 8,
        help="How many times the client tries again after a timeout: 3 retries are 4 attempts."),
    Int("show_order", "Order in the diagram", 0, 0, 500,
        help="Whose messages the sequence diagram shows; 0 picks the first order that lost a response."),
    Seed(),
)

INTERLEAVING_CHOICES = (
    ("serial", "B arrives after A has answered"),
    ("lockstep", "A and B take turns, one statement each"),
    ("b-inside-a", "B runs entirely between A's first and second statement"),
    ("random", "Random order, drawn from the seed"),
)

IDEMPOTENCY_RACE_PARAMS = params(
    Choice("interleaving", "Interleaving", "lockstep", INTERLEAVING_CHOICES,
           help="Which copy of the request runs its next SQL statement, step by step."),
    Text("schedule", "Or type your own schedule", "", "ABab", model.MAX_SCHEDULE_LENGTH,
         help="Letters A and B, e.g. ABBA: each letter runs one statement of that copy (the other copy's "
              "if that one has answered); then A finishes, then B. Replaces the interleaving above; "
              "empty the box to go back to it."),
    Seed(),
)

MODE_LABEL = {"no_key": "Without a key", "key": "With an idempotency key"}
DESIGN_LABEL = {"check_then_insert": "Check, then insert", "atomic_claim": "Atomic claim"}
LANES = {"client": 0, "api": 1, "ledger": 2}
LANE_X = (10.0, 50.0, 90.0)  # where each lifeline stands, in % of the diagram's width


def _n(count: int, word: str) -> str:
    """'1 order', '20 orders'."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _short_sql(sql: str) -> str:
    """The statement as an arrow label: its verb and table; the full text goes in the title."""
    if sql.startswith("INSERT INTO charges"):
        return "INSERT INTO charges"
    if sql.startswith("INSERT INTO idempotency_keys"):
        return "INSERT INTO idempotency_keys ('in_progress')" if "'in_progress'" in sql else \
            "INSERT INTO idempotency_keys ('done', response)"
    if sql.startswith("SELECT"):
        return "SELECT … FROM idempotency_keys WHERE key = ?"
    if sql.startswith("UPDATE"):
        return "UPDATE idempotency_keys SET state = 'done', response = …"
    if sql.startswith("DELETE"):
        return "DELETE the expired key"
    return sql


# ---- double-charge ------------------------------------------------------------------------------

def present_double_charge(result: dict, values: dict) -> View:
    no_key, key = result["modes"]["no_key"], result["modes"]["key"]
    orders = values["orders"]
    if no_key["duplicate_charges"]:
        verdict = (f"Without keys, {_n(orders, 'order')} became {_n(no_key['charges'], 'charge')}: "
                   f"{_n(no_key['duplicate_charges'], 'duplicate')}, {_money(no_key['overcharged'])} taken that "
                   f"nobody owed. With keys, {_n(key['charges'], 'charge')}: {_n(key['replayed_responses'], 'retry')}"
                   f" got the stored response instead.").replace("retrys", "retries")
    elif not values["retries"] and no_key["client_never_answered"]:
        verdict = (f"No retries, so no duplicates: but {no_key['client_never_answered']:,} of "
                   f"{_n(orders, 'customer')} never learn that they were charged.")
    else:
        verdict = (f"No answer was lost before a retry in this run: {_n(orders, 'order')}, "
                   f"{_n(no_key['charges'], 'charge')} with or without keys.")
    stats = (
        ("Charges without keys", f"{no_key['charges']:,}"),
        ("Charges with keys", f"{key['charges']:,}"),
        ("Duplicate charges", f"{no_key['duplicate_charges']:,} → {key['duplicate_charges']:,}"),
        ("Overcharged", f"{_money(no_key['overcharged'])} → {_money(key['overcharged'])}"),
    )
    table = Table(("order", "attempts", "client_got_answer", "charges_without_key", "charges_with_key"),
                  tuple((o["order"], o["attempts"], o["answered"], o["charges_no_key"], o["charges_key"])
                        for o in result["per_order"]),
                  "Each order: the attempts its client made (the same in both modes) and the charges in each ledger.")
    expected = result["expected"]
    truth = (
        ("attempts", f"{no_key['attempts']:,}",
         f"{expected['attempts']:,} = orders × (1 + p + … + p^K)"),
        ("duplicate charges without keys", f"{no_key['duplicate_charges']:,}",
         f"{expected['duplicate_charges_no_key']:,} = orders × (p + p² + … + p^K)"),
        ("duplicate charges with keys", f"{key['duplicate_charges']:,}", "0: every repeat is a replay"),
        ("clients left without an answer", f"{no_key['client_never_answered']:,}",
         f"{expected['client_never_answered']:,} = orders × p^(K+1)"),
    )
    extra = {
        "modes": [(mode, MODE_LABEL[mode], result["modes"][mode]) for mode in model.MODES],
        "diagrams": [(mode, MODE_LABEL[mode], _sequence(result["modes"][mode]["sequence"]))
                     for mode in model.MODES],
        "shown_order": result["shown_order"],
        "shown_key": result["shown_key"],
        "rules": result["key_rules"],
        "totals": _totals(result),
        "lanes": [(label, x) for label, x in zip(("Client", "Payment API", "Ledger"), LANE_X)],
    }
    return View(verdict=verdict, stats=stats, table=table, truth=truth,
                charts=(_charges_chart(result), _theory_chart(result, values)),
                extra_template="demo/idempotency/double_charge.html", extra=extra)


def _totals(result: dict) -> list:
    no_key, key = result["modes"]["no_key"], result["modes"]["key"]
    rows = [("Orders", "orders", lambda v: f"{v:,}"),
            ("Attempts sent", "attempts", lambda v: f"{v:,}"),
            ("Charges in the ledger", "charges", lambda v: f"{v:,}"),
            ("Duplicate charges", "duplicate_charges", lambda v: f"{v:,}"),
            ("Customers charged more than once", "orders_charged_more_than_once", lambda v: f"{v:,}"),
            ("Money overcharged", "overcharged", _money),
            ("Retries answered from the stored response", "replayed_responses", lambda v: f"{v:,}"),
            ("Clients that never got an answer", "client_never_answered", lambda v: f"{v:,}")]
    return [(label, fmt(no_key[k]), fmt(key[k]), no_key[k] != key[k]) for label, k, fmt in rows]


# Attempts a sequence diagram draws in full: the first two and the last. Between them every retry
# is the same exchange again, and a row costs ~500 bytes of the fragment.
SEQUENCE_HEAD_ATTEMPTS = 2


def _sequence(messages: list) -> list:
    """Rows of the sequence diagram: an arrow between two lifelines, or a note on the client's."""
    rows, charged = [], 0
    last = max((m.get("attempt") or 0 for m in messages), default=0)
    skipped = range(SEQUENCE_HEAD_ATTEMPTS + 1, last)
    for msg in messages:
        attempt = msg.get("attempt")
        if attempt in skipped:
            if msg["kind"] == "message" and msg["to"] == "ledger" and _short_sql(msg["label"]) == "INSERT INTO charges":
                charged += 1  # a skipped retry still charged: the last one says "charged again"
            if attempt == skipped[0] and msg["from"] == "client":
                text = (f"attempt {skipped[0]}" if len(skipped) == 1 else f"attempts {skipped[0]}–{skipped[-1]}")
                rows.append({"t_ms": msg["t_ms"], "attempt": attempt, "kind": "skipped", "note": True,
                             "title": "Not drawn: each is the same exchange again; the table has every attempt.",
                             "label": f"{text}: the same exchange again, not drawn",
                             "cls": "idem-seq-note-skipped"})
            continue
        row = {"t_ms": msg["t_ms"], "attempt": msg.get("attempt"), "kind": msg["kind"], "title": msg["label"]}
        if msg["kind"] != "message":
            row.update(note=True, label=msg["label"], cls=f"idem-seq-note-{msg['kind']}")
            rows.append(row)
            continue
        a, b = LANES[msg["from"]], LANES[msg["to"]]
        lo, hi = min(a, b), max(a, b)
        classes = ["idem-seq-right" if b > a else "idem-seq-left"]
        label = msg["label"]
        if msg["from"] == "client":
            classes.append("idem-seq-request")
            row["attempt_start"] = True
        elif msg["to"] == "ledger":
            classes.append("idem-seq-sql")
            label = _short_sql(msg["label"])
            if label == "INSERT INTO charges":
                charged += 1
                classes.append("idem-seq-money" + (" idem-seq-duplicate" if charged > 1 else ""))
                label += " — money moves" if charged == 1 else " — charged again"
        elif msg["from"] == "ledger":
            classes.append("idem-seq-db" + ("" if msg.get("ok", True) else " idem-seq-refused"))
        else:  # the API's answer to the client
            classes.append("idem-seq-response")
            if msg["lost"]:
                classes.append("idem-seq-lost")
                label += "  lost on the way back"
        # The label may be wider than its arrow (up to the nearer edge and as far again), centred on it.
        left, right = LANE_X[lo], LANE_X[hi]
        centre = (left + right) / 2
        half = min(centre, 100 - centre)
        if "idem-seq-lost" in classes:  # the answer dies half-way back
            left = centre
        row.update(note=False, lines=label.split("  "), cls=" ".join(classes),
                   label_left=round(centre - half, 2), label_width=round(2 * half, 2),
                   left=left, width=right - left)
        rows.append(row)
    return rows


def _charges_chart(result: dict) -> Chart:
    modes = result["modes"]
    labels = ["Without a key", "With a key"]
    firsts = [modes[m]["charges"] - modes[m]["duplicate_charges"] for m in model.MODES]
    dupes = [modes[m]["duplicate_charges"] for m in model.MODES]
    traces = [
        charts.bars(firsts, labels, "one charge per order", charts.OUTCOME["success"], orientation="h",
                    text=[f"{v:,}" for v in firsts], textposition="inside",
                    hovertemplate="%{x:,} orders charged once<extra></extra>"),
        charts.bars(dupes, labels, "duplicate charges", charts.OUTCOME["failure"], orientation="h",
                    text=[f"+{v:,}" if v else "" for v in dupes], textposition="outside",
                    hovertemplate="%{x:,} duplicate charges<extra></extra>"),
    ]
    top = max(m["charges"] for m in modes.values())
    spec = charts.layout("Charges in the ledger", height=240, barmode="stack",
                         yaxis={"autorange": "reversed", "type": "category"},
                         xaxis={"range": [0, top * 1.15 + 1]}, margin={"b": 40},
                         legend={"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0})
    alt = "; ".join(f"{MODE_LABEL[m]}: {modes[m]['charges']:,} charges for {modes[m]['orders']:,} orders, "
                    f"{modes[m]['duplicate_charges']:,} duplicates" for m in model.MODES)
    return Chart("chart-double-charge", charts.figure(traces, spec), alt)


def _theory_chart(result: dict, values: dict) -> Chart:
    """Duplicates per 100 orders against the loss rate: the formula's curve and this run's point."""
    k, orders = values["retries"], values["orders"]
    xs = list(range(0, 91, 2))
    ys = [round(100 * sum((x / 100) ** i for i in range(1, k + 1)), 2) for x in xs]
    measured = 100 * result["modes"]["no_key"]["duplicate_charges"] / orders
    traces = [
        charts.line(xs, ys, f"formula: 100 × (p + … + p^{k})" if k else "formula: 0 without retries",
                    charts.SERIES[0], hovertemplate="%{x}% lost: %{y:.1f} per 100 orders<extra></extra>"),
        charts.markers([values["loss_pct"]], [round(measured, 2)], f"this run ({orders:,} orders)",
                       charts.OUTCOME["failure"], size=12,
                       hovertemplate="this run: %{y:.1f} per 100 orders<extra></extra>"),
    ]
    spec = charts.layout("Duplicates per 100 orders, no keys", x="responses lost (%)",
                         y="per 100 orders", height=300)
    expected = 100 * result["expected"]["duplicate_charges_no_key"] / orders
    alt = (f"With {k} retries the formula gives {expected:.1f} duplicate charges per 100 orders at "
           f"{values['loss_pct']}% loss; this run had {measured:.1f}.")
    return Chart("chart-double-charge-theory", charts.figure(traces, spec), alt)


# ---- idempotency-race ---------------------------------------------------------------------------

def _response_text(response: dict) -> str:
    body = response["body"]
    what = body.get("id") or body.get("error", {}).get("code", "")
    return f"{response['status']} {what}" + (" (replayed)" if response["replayed"] else "")


def _answer(response: dict) -> str:
    """A response in a sentence: '409 idempotency_key_in_use', 'a replay of 200 ch_1'."""
    body = response["body"]
    what = f"{response['status']} {body.get('id') or body.get('error', {}).get('code', '')}"
    return f"a replay of {what}" if response["replayed"] else what


def _design_story(d: dict) -> str:
    """'charges twice (B answers 500 after charging)', 'charges once (B gets 409, ...)'."""
    responses = d["responses"]
    if d["charges"] > 1:
        loser = next((c for c in "AB" if responses[c]["status"] >= 500), "B")
        times = "twice" if d["charges"] == 2 else f"{d['charges']} times"
        return (f"charges {times} (both checks found no row; {loser} answers "
                f"{_answer(responses[loser])} after charging)")
    first = next((c for c in "AB" if responses[c]["status"] == 200 and not responses[c]["replayed"]), "A")
    other = "B" if first == "A" else "A"
    got = responses[other]
    if got["status"] == 409:
        return f"charges once ({other} gets 409, and its retry gets {_answer(d['retry_after_conflict'])})"
    return f"charges once ({other} gets {_answer(got)})"


def present_race(result: dict, values: dict) -> View:
    designs = result["designs"]
    naive, atomic = designs["check_then_insert"], designs["atomic_claim"]
    names = {"serial": "Serial", "lockstep": "Lockstep", "b-inside-a": "B inside A", "random": "Random"}
    which = f"Your schedule {result['schedule']}" if result["interleaving"] == "custom" else \
        f"{names[result['interleaving']]} ({result['schedule']})"
    verdict = (f"{which}: check-then-insert {_design_story(naive)}; "
               f"the atomic claim {_design_story(atomic)}.")
    stats = (
        ("Charges, check then insert", str(naive["charges"])),
        ("Charges, atomic claim", str(atomic["charges"])),
        ("Copy B answered", " / ".join(str(d["responses"]["B"]["status"]) for d in designs.values())),
        ("Order run (naive / atomic)", " / ".join(d["ran"] for d in designs.values())),
    )
    rows = []
    for design, d in designs.items():
        for s in d["steps"]:
            key = s["key_after"]
            rows.append((design, s["n"], s["copy"], _short_sql(s["sql"]), ", ".join(map(str, s["params"])), s["result"],
                         s["charges_after"], None if key is None else key["state"]))
    table = Table(("design", "step", "copy", "sql", "params", "result", "charges_after", "key_state_after"),
                  tuple(rows), "Every SQL statement each design ran, in order, with the database after it "
                  "(the JSON has the full statements).")
    extra = {"designs": [(name, DESIGN_LABEL[name], _trace(d)) for name, d in designs.items()],
             "sql": SQL_BY_DESIGN}
    return View(verdict=verdict, stats=stats, table=table,
                extra_template="demo/idempotency/race.html", extra=extra)


SQL_BY_DESIGN = {
    "check_then_insert": (("1. is the key known?", model.SQL_LOOKUP),
                          ("2. no row: move the money", model.SQL_CHARGE),
                          ("3. record the key with the response", model.SQL_RECORD)),
    "atomic_claim": (("1. claim the key: of two copies, only one INSERT succeeds", model.SQL_CLAIM),
                     ("2. claimed: move the money", model.SQL_CHARGE),
                     ("3. store the response for replays", model.SQL_FINISH),
                     ("1 failed: read the row; 'in_progress' answers 409, 'done' replays", model.SQL_LOOKUP)),
}


def _trace(d: dict) -> dict:
    steps = []
    for s in d["steps"]:
        key = s["key_after"]
        steps.append({
            "n": s["n"], "who": s["copy"], "sql": _short_sql(s["sql"]), "full_sql": s["sql"],
            "result": s["result"], "ok": s["ok"],
            "money": s["sql"].startswith("INSERT INTO charges"),
            "second_charge": s["sql"].startswith("INSERT INTO charges") and s["charges_after"] > 1,
            "key": "no row" if key is None else key["state"] + (f" {key['response_status']}" if key["response_status"] else ""),
            "charges": s["charges_after"],
        })
    responses = [(copy, _response_text(r), r["status"]) for copy, r in sorted(d["responses"].items())]
    retry = d["retry_after_conflict"]
    return {"steps": steps, "responses": responses, "charges": d["charges"], "ran": d["ran"],
            "double": d["double_charged"], "retry": None if retry is None else _response_text(retry),
            "ledger": d["ledger"]}


register(Demo(
    "double-charge", "Lost responses and retries: the double charge", DOUBLE_CHARGE_PARAMS,
    model.double_charge, present_double_charge,
    summary="Customers pay $99.99 through an API whose answers sometimes get lost; the client retries. "
            "The same losses, on a real SQLite ledger, without and with an idempotency key.",
    presets=(
        Preset("seed", "The seed's story", {}, "20 orders, 20% of answers lost, 3 retries"),
        Preset("rare-loss", "1% loss, 500 orders", {"orders": 500, "loss_pct": 1},
               "rare losses still charge a few customers twice"),
        Preset("no-retries", "No retries", {"orders": 100, "retries": 0},
               "nobody is charged twice, and a fifth never learn that they paid"),
        Preset("bad-network", "Half the answers lost", {"orders": 100, "loss_pct": 50, "retries": 5},
               "about one duplicate per order without keys"),
    )))
register(Demo(
    "idempotency-race", "Two copies at once: check-then-insert against an atomic claim",
    IDEMPOTENCY_RACE_PARAMS, model.idempotency_race, present_race,
    summary="Copies A and B of one keyed charge reach two workers together. Pick the order of their "
            "SQL statements and watch both designs run it on a real database.",
    presets=(
        Preset("lockstep", "Together, in turns", {}, "both checks find no row: check-then-insert charges twice"),
        Preset("serial", "An everyday retry", {"interleaving": "serial"},
               "B arrives after A answered: both designs replay"),
        Preset("b-inside-a", "B inside A", {"interleaving": "b-inside-a"},
               "B runs while A is talking to the bank"),
        Preset("b-first", "B first, then A", {"schedule": "BBAA"},
               "a typed schedule: B claims the key, A is refused"),
    )))
