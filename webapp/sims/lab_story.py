"""The failure lab's account of a run: a verdict per feature and "what went wrong", in words.

Every sentence is built from what the run recorded (the faults' times, the first timeout on an
edge, each breaker transition with the breaker's own reason, pool saturation, the ledger's
duplicate rows, the causes of each failed request), never from canned text about a scenario: change
a setting and the account changes with the run. Pure functions of the result dict.
"""

from __future__ import annotations

from .lab_engine import DEPENDENCY, EDGES, FEATURES, SERVICE_MS

ARROW = {f"{a}_{b}": f"{a}→{b}" for a, b in EDGES}
FEATURE_EDGE = {f: f"gateway_{f}" for f in FEATURES}
INNER_EDGE = {f: f"{f}_{DEPENDENCY[f]}" for f in FEATURES}
MAX_BREAKER_SENTENCES = 3  # first trip, last close, and a count of the rest


def tell(result: dict, values: dict) -> dict:
    """{"verdicts": {feature: text}, "verdict_kind": {feature: kind}, "headline": text,
    "story": [{"t_ms", "kind", "text"}], "why": [text], "warnings": [text]}."""
    story = _faults(values) + _services(result) + _edges(result, values) + _payments(result, values)
    gave_up = result["users_gave_up"]
    story.sort(key=lambda item: (item["t_ms"] is None, item["t_ms"] or 0))
    verdicts, kinds = {}, {}
    for f in FEATURES:
        verdicts[f], kinds[f] = _verdict(f, result)
    why = [w for f in FEATURES if (w := _why(f, result, values))]
    if gave_up:
        why.append(f"{gave_up:,} users gave up after waiting {_secs(values['user_timeout_ms'])}: "
                   "their requests count as failed, whatever the services did with them afterwards.")
    if result["truncated"]:
        story.insert(0, {"t_ms": result["stopped_at_ms"], "kind": "harm",
                         "text": f"The lab stopped this run at {_t(result['stopped_at_ms'])}: the configuration asked "
                                 f"for more than {result['events']:,} calls and timers, the most it simulates. Retries "
                                 "at every layer against failing services multiply like that; the figures cover "
                                 "only the users answered by then."})
    if not story:
        story.append({"t_ms": None, "kind": "calm",
                      "text": "No fault was injected and no pattern had to act: every call answered in time. "
                              "Add a fault below, or pick a scenario."})
    return {"verdicts": verdicts, "verdict_kind": kinds, "headline": _headline(result), "story": story,
            "why": why, "warnings": warnings(values)}


# ---- faults ----------------------------------------------------------------------------------------

def _faults(values: dict) -> list:
    out = []
    for i in range(1, 4):
        kind = values[f"fault{i}_kind"]
        if kind == "none":
            continue
        svc, m = values[f"fault{i}_service"], values[f"fault{i}_magnitude"]
        start, end = values[f"fault{i}_start_s"], values[f"fault{i}_end_s"]
        if start >= values["duration_s"]:
            out.append({"t_ms": None, "kind": "fault",
                        "text": f"Fault {i} ({svc}) starts at {start} s, after the run ends: it has no effect."})
            continue
        mean = SERVICE_MS[svc]
        what = {
            "down": f"{svc} went down: every connection to it was refused",
            "slow": f"{svc} slowed ×{m:g}: its own work took about {_ms(mean * m)} instead of {_ms(mean)}",
            "error": f"{svc} started failing {m:g}% of its requests",
            "capacity": f"{svc} lost {m:g}% of its {values[f'{svc}_threads']} threads "
                        f"({values[f'{svc}_threads']} → {round(values[f'{svc}_threads'] * (1 - m / 100))})",
            "flap": f"{svc} started flapping: down {m:g} s, up {m:g} s, over and over",
        }[kind]
        until = f"until {end} s" if end < values["duration_s"] else "to the end of the run"
        out.append({"t_ms": start * 1000, "kind": "fault", "text": f"At {start} s {what}, {until}."})
    return out


# ---- services: saturation ------------------------------------------------------------------------------

def _services(result: dict) -> list:
    out = []
    services = result["services"]
    for name, sv in services.items():
        if sv["first_full_ms"] is not None and (sv["queued_total"] or sv["rejected"]):
            text = f"At {_t(sv['first_full_ms'])} all {sv['threads']} of {_possessive(name)} threads were busy"
            holder = _main_holder(sv)
            if name == "gateway" and holder:
                text += f" ({holder})"
            text += "; requests began to queue."
            if sv["rejected"]:
                text += (f" From {_t(sv['first_reject_ms'])} its queue was full too: "
                         f"{sv['rejected']:,} requests were turned away.")
            out.append({"t_ms": sv["first_full_ms"], "kind": "harm", "text": text})
        if sv["wasted"] >= 10:
            out.append({"t_ms": None, "kind": "harm",
                        "text": f"{name} finished {sv['wasted']:,} requests whose caller had already given up: "
                                "threads held for answers nobody read."})
    return out


def _main_holder(sv: dict) -> str:
    """Who held a pool's threads at its busiest moment (for the gateway, the cascade's culprit)."""
    busy = sv["series"]["busy"]
    if not busy:
        return ""
    k = max(range(len(busy)), key=lambda i: busy[i])
    held = {f: sv["series"]["held_by"][f][k] for f in FEATURES}
    total = sum(held.values())
    if not total:
        return ""
    top = max(held, key=held.get)
    return f"at the busiest moment {held[top]} of {total} held by {top} requests"


# ---- edges: which pattern acted, when ----------------------------------------------------------------

def _edges(result: dict, values: dict) -> list:
    out = []
    for e, data in result["edges"].items():
        arrow = ARROW[e]
        if data["timeouts"] >= 3:  # a lone timeout in healthy traffic is the tail, not trouble
            timeout = values[f"{e}_timeout_ms"]
            callee = e.split("_")[1]
            t = _onset(result, data["series"]["timeouts"], data["first_timeout_ms"])
            text = (f"From {_t(t)} {arrow} timed out after {_ms(timeout)}: "
                    f"{data['timeouts']:,} timeouts in all. Each freed the caller's thread; "
                    f"the request carried on at {callee} for nobody.")
            out.append({"t_ms": t, "kind": "pattern", "text": text})
        if data["retries"]:
            share = data["retries"] / max(1, data["first_tries"])
            if share >= 0.05 or data["retries"] >= 50:
                text = (f"{arrow} retried {data['retries']:,} times on top of {data['first_tries']:,} first tries "
                        f"(+{share:.0%} load on {e.split('_')[1]}).")
                if values[f"{e}_jitter"] == "none" and values[f"{e}_attempts"] > 1:
                    text += " Without jitter, callers that failed together retried together."
                t = _first_nonzero(result["t_s"], data["series"]["retries"])
                out.append({"t_ms": t, "kind": "pattern", "text": text})
        out += _breaker(e, data, values)
        if data["bulkhead_rejected"]:
            size = values[f"{e}_bulkhead"]
            out.append({"t_ms": data["first_bulkhead_reject_ms"], "kind": "pattern",
                        "text": f"At {_t(data['first_bulkhead_reject_ms'])} the bulkhead on {arrow} ({size} at once) "
                                f"was full: {data['bulkhead_rejected']:,} calls were refused at once instead of "
                                f"holding more of {e.split('_')[0]}'s threads."})
        if data["fallbacks"]:
            t = _onset(result, data["series"]["fallbacks"], data["first_fallback_ms"])
            out.append({"t_ms": t, "kind": "pattern",
                        "text": f"From {_t(t)} {arrow} fell back {data['fallbacks']:,} times: "
                                "those users got their profile without recommendations, a degraded page "
                                "rather than an error."})
        if data["budget_denied"]:
            earns = "success" if values[f"{e}_budget"] == "bucket" else "request"
            out.append({"t_ms": data["first_budget_denied_ms"], "kind": "pattern",
                        "text": f"At {_t(data['first_budget_denied_ms'])} the retry budget on {arrow} ran dry: "
                                f"{data['budget_denied']:,} retries were not sent. Each {earns} earns a tenth of "
                                "a retry, so retries cannot multiply the load however long the trouble lasts."})
        if data["deadline_stops"]:
            out.append({"t_ms": None, "kind": "pattern",
                        "text": f"The deadline on {arrow} stopped {_n(data['deadline_stops'], 'retry', 'retries')} "
                                "that could not have started before it."})
    return out


def _breaker(e: str, data: dict, values: dict) -> list:
    br = data["breaker"]
    if not br or not br["transitions"]:
        return []
    arrow = ARROW[e]
    trips = [tr for tr in br["transitions"] if tr["to"] == "OPEN"]
    closes = [tr for tr in br["transitions"] if tr["to"] == "CLOSED"]
    out = []
    if trips:
        first = trips[0]
        reason = first["reason"].replace(">=", "≥")
        text = (f"At {_t(first['t_ms'])} the breaker on {arrow} opened on {reason}: for "
                f"{values[f'{e}_breaker_open_s']} s its calls failed fast without reaching {e.split('_')[1]}.")
        if values[f"{e}_order"] == "breaker_outside" and values[f"{e}_attempts"] > 1:
            text += (f" It wraps the retries, so it saw one result per call of up to {values[f'{e}_attempts']} "
                     "attempts: every failure it counted had already sent all its retries.")
        elif values[f"{e}_attempts"] > 1:
            text += " It sits inside the retries: an open breaker ended each call's retries at once."
        out.append({"t_ms": first["t_ms"], "kind": "pattern", "text": text})
        if len(trips) > 1:
            out.append({"t_ms": trips[1]["t_ms"], "kind": "pattern",
                        "text": f"The breaker on {arrow} re-opened {len(trips) - 1} more time"
                                f"{'s' if len(trips) > 2 else ''}: its test requests found "
                                f"{e.split('_')[1]} still failing."})
    if closes:
        last = closes[-1]
        out.append({"t_ms": last["t_ms"], "kind": "pattern",
                    "text": f"At {_t(last['t_ms'])} the breaker on {arrow} closed again ({last['reason']}). "
                            f"In all it refused {br['rejected']:,} calls."})
    elif trips:
        out.append({"t_ms": None, "kind": "pattern",
                    "text": f"The breaker on {arrow} refused {br['rejected']:,} calls and was "
                            f"{br['final_state'].replace('_', '-').lower()} when the run ended."})
    return out[:MAX_BREAKER_SENTENCES]


# ---- payments ---------------------------------------------------------------------------------------

def _payments(result: dict, values: dict) -> list:
    p = result["payments"]
    out = []
    keyed = values["checkout_payments_idempotency"] == "key"
    if p["duplicate_charges"]:
        retries = [ARROW[e] for e in ("checkout_payments", "gateway_checkout") if values[f"{e}_attempts"] > 1]
        how = (f"a payment that was slower than its caller's timeout was retried by {' and '.join(retries)} "
               "without an idempotency key, and payments, which never learned that the caller had given up, "
               "charged the card again" if retries else "the same order reached payments twice")
        out.append({"t_ms": p["first_duplicate_ms"], "kind": "harm",
                     "text": f"From {_t(p['first_duplicate_ms'])} customers were charged twice: "
                             f"{p['orders_charged_twice_or_more']:,} orders, {p['duplicate_charges']:,} extra rows in the "
                             f"ledger, ${p['overcharged']:,.2f} taken too much. Each time {how}."})
    if p["charged_but_told_failed"]:
        text = (f"{p['charged_but_told_failed']:,} customers were charged although checkout told them it had "
                "failed: their payment finished after everyone had stopped waiting for it.")
        if keyed:
            text += (" A key prevents a second charge, not this; the order needs a status the customer can "
                     "check, or a reconciliation that refunds it.")
        out.append({"t_ms": None, "kind": "harm", "text": text})
    if keyed and (p["replayed"] or p["conflicts"]):
        out.append({"t_ms": None, "kind": "pattern",
                    "text": f"The idempotency key turned {p['replayed']:,} repeated payments into replays of the "
                            f"stored answer and {p['conflicts']:,} into 409 “still processing”: the ledger holds "
                            f"{p['duplicate_charges']} duplicate charges."})
    return out


# ---- per feature -----------------------------------------------------------------------------------------

def _verdict(f: str, result: dict) -> tuple[str, str]:
    data = result["features"][f]
    if not data["requests"]:
        return f"{f.capitalize()}: no traffic.", "idle"
    rate = data["success_rate"]
    text = f"{f.capitalize()}: {_pct(rate)} succeeded"
    w = result["windows"][f]
    parts = [f"{_pct(_share(w[k]))} {k}" for k in ("before", "during", "after") if w[k]["requests"]]
    if w["during"]["requests"]:
        text += " (" + ", ".join(parts) + " the faults)"
    if data["degraded"]:
        text += f", {data['degraded']:,} of them degraded"
    if data["p99_ms"] is not None:
        text += f"; p99 {_ms(data['p99_ms'])}"
    causes = data["causes"]
    if causes:
        top = causes[0]
        text += f". Most failures: {cause_phrase(top['where'], top['what'])} ({top['count']:,} of {data['failed']:,})"
    text += "."
    before, during, after = (_share(w[k]) for k in ("before", "during", "after"))
    if rate is not None and rate >= 0.995 and not data["degraded"]:
        kind = "unaffected"
    elif rate is not None and rate >= 0.995:
        kind = "degraded"
    elif after is not None and before is not None and w["after"]["requests"] >= 20 and after < before - 0.1:
        kind = "no-recovery"
    elif during is not None and during < 0.9:
        kind = "failed-during-fault"
    else:
        kind = "hurt"
    return text, kind


def _why(f: str, result: dict, values: dict) -> str:
    """Why this feature failed, following the causes down its path, and up to the shared gateway."""
    data = result["features"][f]
    if not data["failed"]:
        return ""
    path = {"gateway", f, DEPENDENCY[f]}
    faulty = {values[f"fault{i}_service"] for i in range(1, 4) if values[f"fault{i}_kind"] != "none"}
    top = data["causes"][0]
    text = f"{f.capitalize()} failed {data['failed']:,} times, mostly because {cause_phrase(top['where'], top['what'])}"
    if not path & faulty and faulty:
        holder = _main_holder(result["services"]["gateway"])
        text += (f". Neither {f} nor {DEPENDENCY[f]} had a fault: the trouble came through the gateway, "
                 "whose threads every feature shares")
        if holder:
            text += f" ({holder})"
    elif len(data["causes"]) > 1:
        second = data["causes"][1]
        text += f", then because {cause_phrase(second['where'], second['what'])}"
    return text + "."


def cause_phrase(where: str, what: str) -> str:
    if where == "users→gateway":
        return "the user gave up waiting"
    return {
        "down": f"{where} refused connections (down)",
        "full": f"{where} had no free thread and a full queue",
        "error": f"{where} answered with an error",
        "conflict": "payments answered 409: the same order was still being charged",
        "timeout": f"{where} timed out",
        "deadline": f"{where} ran out of its deadline",
        "breaker": f"the breaker on {where} was open",
        "bulkhead": f"the bulkhead on {where} was full",
    }.get(what, f"{where}: {what}")


def _headline(result: dict) -> str:
    parts = [f"{f} {_pct(result['features'][f]['success_rate'])}" for f in FEATURES
             if result["features"][f]["requests"]]
    text = "End users: " + ", ".join(parts) + " of requests succeeded"
    if result["truncated"]:
        text = f"Stopped at {_t(result['stopped_at_ms'])} (too many calls to simulate). " + text
    p = result["payments"]
    if p["duplicate_charges"]:
        text += (f"; {p['orders_charged_twice_or_more']:,} customers charged twice "
                 f"(${p['overcharged']:,.2f} too much)")
    degraded = result["features"]["profile"]["degraded"]
    if degraded:
        text += f"; {degraded:,} profile pages served without recommendations"
    return text + "."


# ---- settings that will hurt, whatever the faults -----------------------------------------------------------

def warnings(values: dict) -> list[str]:
    out = []
    for f in FEATURES:
        outer, inner = FEATURE_EDGE[f], INNER_EDGE[f]
        worst = worst_case_ms(values, inner)
        wait = values[f"{outer}_timeout_ms"]
        if values[f"{outer}_deadline_ms"] is not None:
            wait = min(wait, values[f"{outer}_deadline_ms"])
        if worst > wait:
            out.append(f"{ARROW[inner]} can take up to {_ms(worst)} with its retries, but {ARROW[outer]} stops "
                       f"waiting after {_ms(wait)}: retries after that run for nobody. A deadline on "
                       f"{ARROW[inner]} would stop them.")
        product = values[f"{outer}_attempts"] * values[f"{inner}_attempts"]
        if values[f"{outer}_attempts"] > 1 and values[f"{inner}_attempts"] > 1:
            out.append(f"Retries at two layers multiply: up to {values[f'{outer}_attempts']} × "
                       f"{values[f'{inner}_attempts']} = {product} attempts reach {DEPENDENCY[f]} per {f} request.")
    if values["checkout_payments_idempotency"] != "key" and (
            values["checkout_payments_attempts"] > 1 or values["gateway_checkout_attempts"] > 1):
        out.append("Payments are retried without an idempotency key: a retry after a timeout can charge a "
                   "customer twice.")
    return out


def worst_case_ms(values: dict, edge: str) -> float:
    """The longest a call on `edge` can keep its caller waiting: every attempt times out, with the
    largest backoff between them (full jitter's ceiling), cut by the deadline."""
    attempts, timeout = values[f"{edge}_attempts"], values[f"{edge}_timeout_ms"]
    base = values[f"{edge}_backoff_ms"]
    total = attempts * timeout + sum(min(10_000, base * 2 ** k) for k in range(attempts - 1))
    deadline = values[f"{edge}_deadline_ms"]
    return total if deadline is None else min(total, deadline)


# ---- words ----------------------------------------------------------------------------------------------

def _share(w: dict):
    return w["succeeded"] / w["requests"] if w["requests"] else None


def _pct(x) -> str:
    if x is None:
        return "–"
    if x >= 0.9995 and x < 1:
        return "99.9%"
    return f"{100 * x:.1f}%".replace(".0%", "%")


def _t(ms) -> str:
    return "–" if ms is None else f"{ms / 1000:.1f} s".replace(".0 s", " s")


def _ms(ms: float) -> str:
    return f"{ms / 1000:,.1f} s".replace(".0 s", " s") if ms >= 1000 else f"{ms:,.0f} ms"


def _secs(ms: float) -> str:
    return _ms(ms)


def _n(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def _possessive(name: str) -> str:
    return name + ("'" if name.endswith("s") else "'s")


def _onset(result: dict, series: list, first_ms):
    """When something started in earnest: the first bin with at least 3 of it (a lone timeout in
    healthy traffic is not the start of the trouble), else the very first one."""
    for t, n in zip(result["t_s"], series):
        if n >= 3:
            return t * 1000
    return first_ms


def _first_nonzero(t_s: list, series: list):
    for t, n in zip(t_s, series):
        if n:
            return t * 1000
    return None
