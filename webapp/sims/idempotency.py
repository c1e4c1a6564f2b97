"""Idempotency keys on a real SQLite ledger: the double charge, and the race between two copies.

`PaymentStore` is the server side of `POST /charge-card` on a real database (the standard library's
sqlite3; every statement runs in autocommit, so each one is its own atomic transaction). It follows
the documented behaviour of payment APIs (Stripe's "Idempotent requests"; the IETF draft
"The Idempotency-Key HTTP Header Field"):
  - the first request with a key stores its status and body; a retry with the key gets them
    replayed, errors included (a declined card stays declined, without asking the card network again);
  - the same key with different parameters is rejected (422, as the IETF draft recommends);
  - a copy arriving while the first is still executing gets 409 Conflict, not a second execution;
  - a request that fails validation stores nothing (execution never began);
  - keys may be pruned after 24 h; a key reused after that is a new request.
The key is claimed with a single `INSERT` on a PRIMARY KEY column *before* the money moves, so of two
concurrent copies exactly one wins. `CheckThenInsertStore` is the tempting wrong design: look the key
up, charge, then record the key. Under concurrency both copies pass the check and both charge.

Each request is executed as a generator that runs ONE SQL statement per step, so a demo (or a test)
can interleave two requests statement by statement, deterministically. Models on top:
    double_charge(orders, loss_pct, retries, show_order, seed)   lost responses + retries, with/without keys
    idempotency_race(interleaving, seed, schedule)               two copies of one request, step by step
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from dataclasses import dataclass
from typing import Generator

# ---- the payment API ---------------------------------------------------------------------------

KEY_TTL_MS = 24 * 3600 * 1000  # keys may be pruned once they are 24 h old (Stripe's documented floor)
AMOUNT_CENTS = 9_999  # the seed's story: POST /charge-card amount=99.99
CURRENCY = "usd"
CARD_OK = "tok_visa"  # Stripe's test tokens: one that is charged, one the bank declines
CARD_DECLINED = "tok_chargeDeclined"
CLAIM_ATTEMPTS = 3  # claim, find the key expired, delete it, claim again: never needs more

SCHEMA = """
CREATE TABLE IF NOT EXISTS charges (
    id              INTEGER PRIMARY KEY,
    order_id        TEXT    NOT NULL,
    amount_cents    INTEGER NOT NULL,
    idempotency_key TEXT,
    created_ms      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key             TEXT    PRIMARY KEY,          -- the atomic claim: a second INSERT fails
    request_hash    TEXT    NOT NULL,             -- parameters of the first request
    state           TEXT    NOT NULL CHECK (state IN ('in_progress', 'done')),
    response_status INTEGER,
    response_body   TEXT,
    created_ms      INTEGER NOT NULL
);
"""

SQL_CHARGE = "INSERT INTO charges (order_id, amount_cents, idempotency_key, created_ms) VALUES (?, ?, ?, ?)"
SQL_CLAIM = "INSERT INTO idempotency_keys (key, request_hash, state, created_ms) VALUES (?, ?, 'in_progress', ?)"
SQL_LOOKUP = ("SELECT request_hash, state, response_status, response_body, created_ms "
              "FROM idempotency_keys WHERE key = ?")
SQL_EXPIRE = "DELETE FROM idempotency_keys WHERE key = ? AND created_ms = ?"
SQL_FINISH = "UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ? WHERE key = ?"
SQL_RECORD = ("INSERT INTO idempotency_keys (key, request_hash, state, response_status, response_body, created_ms) "
              "VALUES (?, ?, 'done', ?, ?, ?)")


@dataclass(frozen=True)
class Response:
    status: int
    body: dict
    replayed: bool = False  # Stripe marks these with the header `Idempotent-Replayed: true`

    def to_dict(self) -> dict:
        return {"status": self.status, "body": self.body, "replayed": self.replayed}

    def label(self) -> str:
        """'200 ch_3', '409 idempotency_key_in_use', ... plus '(replayed)': a short arrow label."""
        body = self.body
        what = body.get("id") or body.get("error", {}).get("code", "")
        return f"{self.status} {what}" + (" (replayed)" if self.replayed else "")


@dataclass(frozen=True)
class Step:
    """One SQL statement a request ran, and what the database answered."""

    sql: str
    params: tuple
    result: str
    ok: bool = True

    def to_dict(self) -> dict:
        return {"sql": self.sql, "params": list(self.params), "result": self.result, "ok": self.ok}


@dataclass(frozen=True)
class ChargeRequest:
    amount_cents: int
    order: str = ""
    card: str = CARD_OK
    key: str | None = None

    def fingerprint(self) -> str:
        """What 'the same parameters' means: everything in the request body, canonically encoded."""
        body = json.dumps({"amount": self.amount_cents, "currency": CURRENCY, "order": self.order,
                           "card": self.card}, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def _error(status: int, code: str, message: str) -> Response:
    return Response(status, {"error": {"code": code, "message": message}})


class PaymentStore:
    """`POST /charge-card` on a SQLite database, with an atomic idempotency-key claim.

    One store is one database connection (one server worker). Several stores may share a database
    file: that is how the tests run many workers on threads. Use `charge()` to run a request to the
    end, or `charge_steps()` to run it one SQL statement per `next()`.
    """

    design = "atomic_claim"

    def __init__(self, path: str = ":memory:", *, timeout_s: float = 30.0):
        # isolation_level=None: autocommit, so every statement commits on its own and no
        # transaction stays open between the steps of an interleaving.
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=timeout_s)
        self.conn.executescript(SCHEMA)
        self.card_network_calls = 0  # how often this worker asked the bank to move money

    # ---- requests --------------------------------------------------------------------------
    def charge(self, amount_cents: int, *, key: str | None = None, order: str = "",
               card: str = CARD_OK, now_ms: int = 0) -> Response:
        steps = self.charge_steps(amount_cents, key=key, order=order, card=card, now_ms=now_ms)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value

    def charge_steps(self, amount_cents: int, *, key: str | None = None, order: str = "",
                     card: str = CARD_OK, now_ms: int = 0) -> Generator[Step, None, Response]:
        """Run the request one SQL statement per step; the generator's return value is the Response."""
        req = ChargeRequest(amount_cents, order, card, key)
        if not isinstance(amount_cents, int) or amount_cents <= 0:
            # Validation happens before execution begins, so nothing is stored under the key.
            return _error(400, "parameter_invalid_integer", "amount must be a positive number of cents")
        if key is None:
            return (yield from self._execute(req, now_ms))
        return (yield from self._keyed(req, now_ms))

    def _keyed(self, req: ChargeRequest, now_ms: int):
        """Claim first (one INSERT that only one copy can win), then move the money, then record."""
        for _ in range(CLAIM_ATTEMPTS):
            step, error = self._run(SQL_CLAIM, (req.key, req.fingerprint(), now_ms))
            yield step
            if error is None:
                response = yield from self._execute(req, now_ms)
                yield self._run(SQL_FINISH, (response.status, json.dumps(response.body), req.key))[0]
                return response
            step, rows = self._query(SQL_LOOKUP, (req.key,))
            yield step
            if not rows:
                continue  # pruned between our claim and our look-up: claim again
            request_hash, state, status, body, created_ms = rows[0]
            if now_ms - created_ms >= KEY_TTL_MS:
                yield self._run(SQL_EXPIRE, (req.key, created_ms))[0]
                continue  # an expired key is a new request (Stripe: "a new request is generated")
            response = self._answer_existing(req, request_hash, state, status, body)
            return response
        return _error(409, "idempotency_key_in_use", "could not claim the key; retry later")

    @staticmethod
    def _answer_existing(req, request_hash, state, status, body) -> Response:
        if request_hash != req.fingerprint():
            return _error(422, "idempotency_key_reused",
                          "this key was used with different parameters")
        if state == "in_progress":
            return _error(409, "idempotency_key_in_use",
                          "a request with this key is still being processed; retry later")
        return Response(status, json.loads(body), replayed=True)

    def _execute(self, req: ChargeRequest, now_ms: int):
        """Ask the card network to move the money; a successful charge is one ledger row.

        In a real system this is a call to the bank: it cannot be rolled back, which is why it
        cannot share a database transaction with the key's claim or its record.
        """
        self.card_network_calls += 1
        if req.card == CARD_DECLINED:
            return _error(402, "card_declined", "your card was declined")
        step, rowid = self._insert(SQL_CHARGE, (req.order, req.amount_cents, req.key, now_ms))
        yield step
        return Response(200, {"id": f"ch_{rowid}", "amount": req.amount_cents, "currency": CURRENCY,
                              "order": req.order, "status": "succeeded"})

    # ---- reading the database --------------------------------------------------------------
    def ledger(self) -> list[dict]:
        rows = self.conn.execute("SELECT id, order_id, amount_cents, idempotency_key, created_ms "
                                 "FROM charges ORDER BY id").fetchall()
        return [{"id": f"ch_{i}", "order": o, "amount_cents": a, "key": k, "created_ms": t}
                for i, o, a, k, t in rows]

    def count_charges(self, order: str | None = None) -> int:
        if order is None:
            return self.conn.execute("SELECT COUNT(*) FROM charges").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM charges WHERE order_id = ?", (order,)).fetchone()[0]

    def key_row(self, key: str) -> dict | None:
        row = self.conn.execute("SELECT state, response_status, created_ms FROM idempotency_keys "
                                "WHERE key = ?", (key,)).fetchone()
        return None if row is None else {"state": row[0], "response_status": row[1], "created_ms": row[2]}

    def prune(self, now_ms: int) -> int:
        """Delete keys at least KEY_TTL_MS old; returns how many went."""
        return self.conn.execute("DELETE FROM idempotency_keys WHERE created_ms <= ?",
                                 (now_ms - KEY_TTL_MS,)).rowcount

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- one statement at a time -----------------------------------------------------------
    def _run(self, sql: str, params: tuple) -> tuple[Step, sqlite3.Error | None]:
        try:
            cur = self.conn.execute(sql, params)
        except sqlite3.IntegrityError as e:
            return Step(sql, params, str(e), ok=False), e
        return Step(sql, params, f"{cur.rowcount} row{'s' * (cur.rowcount != 1)} changed"), None

    def _query(self, sql: str, params: tuple) -> tuple[Step, list]:
        rows = self.conn.execute(sql, params).fetchall()  # fetch all: no cursor stays open across steps
        if not rows:
            return Step(sql, params, "no row"), rows
        state = rows[0][1]
        return Step(sql, params, f"found: {state}" + (f" {rows[0][2]}" if rows[0][2] else "")), rows

    def _insert(self, sql: str, params: tuple) -> tuple[Step, int]:
        cur = self.conn.execute(sql, params)
        return Step(sql, params, f"inserted ch_{cur.lastrowid}"), cur.lastrowid


class CheckThenInsertStore(PaymentStore):
    """The tempting wrong design: SELECT the key; if absent, charge; then INSERT the key.

    The key column is still a PRIMARY KEY, and it still fires under a race, but only on the last
    statement, after the money has moved: the loser answers 500 and the customer is charged twice.
    """

    design = "check_then_insert"

    def _keyed(self, req: ChargeRequest, now_ms: int):
        step, rows = self._query(SQL_LOOKUP, (req.key,))
        yield step
        if rows:
            request_hash, state, status, body, _created = rows[0]
            return self._answer_existing(req, request_hash, state, status, body)
        response = yield from self._execute(req, now_ms)
        step, error = self._run(SQL_RECORD, (req.key, req.fingerprint(), response.status,
                                             json.dumps(response.body), now_ms))
        yield step
        if error is not None:
            return _error(500, "internal_error", "could not record the idempotency key")
        return response


STORES = {"check_then_insert": CheckThenInsertStore, "atomic_claim": PaymentStore}

# ---- demo: lost responses and retries (double-charge) ------------------------------------------

# The client's clock for the sequence diagram. Not random: only the losses are.
ONE_WAY_MS = 15  # client <-> API, each way
SQL_MS = 4  # API <-> ledger, one statement's round trip
CLIENT_TIMEOUT_MS = 300  # 3 x p99 of a ~100 ms call: the course's starting rule for timeouts
BACKOFF_BASE_MS = 100  # the seed's schedule: 100 ms, doubling
BACKOFF_MULTIPLIER = 2
ORDER_GAP_MS = 60_000  # one order a minute: orders never overlap
LEDGER_ROW_LIMIT = 60  # rows of each ledger returned for the table (totals always cover all)
MODES = ("no_key", "key")


def order_name(n: int) -> str:
    return f"order-{n}"


def order_key(n: int) -> str:
    return f"order-{n}-txn-1"  # one key per payment attempt of an order, reused by its retries


def double_charge(orders=20, loss_pct=20, retries=3, show_order=0, seed=1) -> dict:
    """`orders` payments of $99.99; each response is lost with probability loss_pct/100; the client
    retries up to `retries` times (retries + 1 attempts) after a timeout and a doubling backoff.

    Both modes see the same losses (same seed, same attempt -> same fate), so the difference between
    them is the idempotency key alone. Every attempt reaches the server: only responses are lost.
    `show_order` picks the order drawn as a sequence diagram; 0 picks the first order that lost a
    response. Cost: orders x (retries + 1) requests of at most 4 statements, per mode.
    """
    p = loss_pct / 100
    rng = random.Random(f"double-charge-{seed}")
    lost = [[rng.random() < p for _ in range(retries + 1)] for _ in range(orders)]
    if show_order <= 0:
        shown = next((n + 1 for n, fates in enumerate(lost) if fates[0]), 1)
    else:
        shown = min(show_order, orders)

    modes = {}
    per_order = [{"order": order_name(n), "attempts": 0, "answered": False} for n in range(1, orders + 1)]
    for mode in MODES:
        store = PaymentStore()
        attempts = replayed = gave_up = 0
        messages: list[dict] = []
        for n in range(1, orders + 1):
            start = (n - 1) * ORDER_GAP_MS
            result = _client(store, n, lost[n - 1], mode == "key", start, record=(n == shown))
            attempts += result["attempts"]
            replayed += result["replayed"]
            gave_up += not result["answered"]
            per_order[n - 1]["attempts"], per_order[n - 1]["answered"] = result["attempts"], result["answered"]
            if n == shown:
                messages = result["messages"]
        rows = store.ledger()
        store.close()
        seen: set = set()
        for row in rows:
            row["duplicate"] = row["order"] in seen
            seen.add(row["order"])
            row["amount"] = row.pop("amount_cents") / 100
        charges = len(rows)
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["order"]] = counts.get(row["order"], 0) + 1
        for entry in per_order:
            entry[f"charges_{mode}"] = counts.get(entry["order"], 0)
        histogram: dict[str, int] = {}
        for count in counts.values():
            histogram[str(count)] = histogram.get(str(count), 0) + 1
        modes[mode] = {
            "orders": orders, "attempts": attempts, "charges": charges,
            "duplicate_charges": charges - orders,
            "overcharged": round((charges - orders) * AMOUNT_CENTS / 100, 2),
            "orders_charged_more_than_once": sum(1 for c in counts.values() if c > 1),
            "charges_per_order": dict(sorted(histogram.items(), key=lambda kv: int(kv[0]))),
            "replayed_responses": replayed,
            "client_never_answered": gave_up,
            "ledger": rows[:LEDGER_ROW_LIMIT],
            "ledger_rows_total": charges,
            "sequence": messages,
        }

    # Closed forms: attempts per order are 1 + p + ... + p**retries (stop at the first answer).
    attempts_per_order = sum(p ** i for i in range(retries + 1))
    return {
        "amount": AMOUNT_CENTS / 100,
        "shown_order": shown,
        "shown_key": order_key(shown),
        "modes": modes,
        # One row per order: the same attempts and losses in both modes, different charges.
        "per_order": per_order,
        "expected": {
            "attempts": round(orders * attempts_per_order, 2),
            "duplicate_charges_no_key": round(orders * (attempts_per_order - 1), 2),
            "overcharged_no_key": round(orders * (attempts_per_order - 1) * AMOUNT_CENTS / 100, 2),
            "client_never_answered": round(orders * p ** (retries + 1), 3),
        },
        "timing": {"one_way_ms": ONE_WAY_MS, "sql_ms": SQL_MS, "client_timeout_ms": CLIENT_TIMEOUT_MS,
                   "backoff_base_ms": BACKOFF_BASE_MS},
        "key_rules": key_rules(),
    }


def _client(store: PaymentStore, n: int, fates: list, keyed: bool, start: int, record: bool) -> dict:
    """One order's client: send, maybe lose the answer, time out, back off, send again."""
    key = order_key(n) if keyed else None
    t, messages, replayed = start, [], 0
    for attempt, lost in enumerate(fates, 1):
        if not record:
            response = store.charge(AMOUNT_CENTS, key=key, order=order_name(n), now_ms=t)
        else:
            label = "POST /charge-card amount=99.99" + (f"  Idempotency-Key: {key}" if key else "")
            messages.append(_msg(t - start, "client", "api", label, attempt=attempt))
            clock = t + ONE_WAY_MS
            steps = store.charge_steps(AMOUNT_CENTS, key=key, order=order_name(n), now_ms=t)
            while True:
                try:
                    step = next(steps)
                except StopIteration as done:
                    response = done.value
                    break
                messages.append(_msg(clock - start, "api", "ledger", step.sql, attempt=attempt,
                                     params=list(step.params)))
                clock += SQL_MS
                messages.append(_msg(clock - start, "ledger", "api", step.result, attempt=attempt,
                                     ok=step.ok))
            messages.append(_msg(clock - start, "api", "client", response.label(), attempt=attempt,
                                 lost=lost, status=response.status))
            if lost:
                messages.append(_msg(t + CLIENT_TIMEOUT_MS - start, "client", "client",
                                     f"no answer after {CLIENT_TIMEOUT_MS} ms", attempt=attempt,
                                     kind="timeout"))
        replayed += response.replayed and not lost
        if not lost:
            if record:
                messages.append(_msg(clock + ONE_WAY_MS - start, "client", "client",
                                     f"got {response.label()}", attempt=attempt, kind="done"))
            return {"attempts": attempt, "replayed": replayed, "answered": True, "messages": messages}
        t += CLIENT_TIMEOUT_MS + BACKOFF_BASE_MS * BACKOFF_MULTIPLIER ** (attempt - 1)
    if record:
        messages.append(_msg(t - start, "client", "client", "gave up: outcome unknown", kind="gave_up",
                             attempt=len(fates)))
    return {"attempts": len(fates), "replayed": replayed, "answered": False, "messages": messages}


def _msg(t_ms, src, dst, label, **extra) -> dict:
    return {"t_ms": t_ms, "from": src, "to": dst, "label": label, "lost": False, "kind": "message",
            **extra}


def key_rules() -> list[dict]:
    """The documented rules, each checked live on a fresh database (same output every time)."""
    rules = []

    def rule(name, expect, first, second, store):
        rules.append({"rule": name, "expect": expect, "first": first.to_dict(), "second": second.to_dict(),
                      "charges": store.count_charges(), "card_network_calls": store.card_network_calls})

    with PaymentStore() as s:
        a = s.charge(AMOUNT_CENTS, key="k-retry", order="order-1")
        b = s.charge(AMOUNT_CENTS, key="k-retry", order="order-1", now_ms=1_000)
        rule("Retry with the same key", "the stored response is replayed; one charge", a, b, s)
    with PaymentStore() as s:
        a = s.charge(AMOUNT_CENTS, key="k-params", order="order-1")
        b = s.charge(19_999, key="k-params", order="order-1", now_ms=1_000)
        rule("Same key, different amount", "rejected with 422; nothing charged", a, b, s)
    with PaymentStore() as s:
        first = s.charge_steps(AMOUNT_CENTS, key="k-flight", order="order-1")
        next(first)  # the first copy has claimed the key and is now talking to the bank
        b = s.charge(AMOUNT_CENTS, key="k-flight", order="order-1", now_ms=5)
        a = _finish(first)
        rule("Same key while the first is in flight", "409 Conflict; the first one finishes alone", a, b, s)
    with PaymentStore() as s:
        a = s.charge(AMOUNT_CENTS, key="k-declined", order="order-1", card=CARD_DECLINED)
        b = s.charge(AMOUNT_CENTS, key="k-declined", order="order-1", card=CARD_DECLINED, now_ms=1_000)
        rule("A declined card, retried", "the 402 is replayed; the bank is asked once", a, b, s)
    with PaymentStore() as s:
        a = s.charge(0, key="k-invalid", order="order-1")
        b = s.charge(AMOUNT_CENTS, key="k-invalid", order="order-1", now_ms=1_000)
        rule("Invalid request, then a valid one", "validation errors are not stored; the key is still free",
             a, b, s)
    with PaymentStore() as s:
        a = s.charge(AMOUNT_CENTS, key="k-late", order="order-1")
        b = s.charge(AMOUNT_CENTS, key="k-late", order="order-1", now_ms=KEY_TTL_MS + 3_600_000)
        rule("Retry 25 hours later", "the key has expired: a second charge", a, b, s)
    return rules


def _finish(steps) -> Response:
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


# ---- demo: two copies of one request race (idempotency-race) -----------------------------------

# Named schedules: letter i says which copy runs its next SQL statement. A letter for a copy that
# has finished is skipped; when the schedule runs out, A finishes, then B.
INTERLEAVINGS = {
    "serial": "AAABBB",  # the copy arrives after the first has finished: the everyday retry
    "lockstep": "ABABAB",  # both arrive together and take turns
    "b-inside-a": "ABBBAA",  # B runs completely between A's first and second statement
}
RANDOM_SCHEDULE_LENGTH = 8  # longer than any request (at most 4 statements), so all cases occur
MAX_SCHEDULE_LENGTH = 16


def schedule_for(interleaving: str, seed: int) -> str:
    """A named interleaving, 'random' (drawn from the seed), or an explicit string of A and B."""
    if interleaving == "random":
        rng = random.Random(f"idempotency-race-{seed}")
        return "".join(rng.choice("AB") for _ in range(RANDOM_SCHEDULE_LENGTH))
    if interleaving in INTERLEAVINGS:
        return INTERLEAVINGS[interleaving]
    text = interleaving.strip().upper()
    if not text or len(text) > MAX_SCHEDULE_LENGTH or set(text) - set("AB"):
        raise ValueError(f"interleaving must be one of {sorted(INTERLEAVINGS)}, 'random', "
                         f"or up to {MAX_SCHEDULE_LENGTH} letters A/B; got {interleaving!r}")
    return text


def idempotency_race(interleaving="lockstep", seed=1, schedule="") -> dict:
    """Copies A and B of the same keyed charge reach two workers at once; run their SQL statements
    in the order the schedule says, on each design, against a fresh database.

    `schedule`, when not empty, is the learner's own string of A and B and replaces the named
    `interleaving` (the demo offers both: pick a named one, or type your own).

    Returns every statement with the database state after it, both responses, the charges, and what
    a client whose copy got 409 receives when it retries after both have finished.
    """
    custom = bool(schedule.strip())
    schedule = schedule_for(schedule if custom else interleaving, seed)
    designs = {}
    for design, cls in STORES.items():
        with cls() as store:
            designs[design] = _race(store, schedule)
    return {"interleaving": "custom" if custom else interleaving, "schedule": schedule, "key": order_key(42),
            "request": "POST /charge-card amount=99.99", "designs": designs}


def _race(store: PaymentStore, schedule: str) -> dict:
    key, order = order_key(42), order_name(42)
    running = {c: store.charge_steps(AMOUNT_CENTS, key=key, order=order, now_ms=i)
               for i, c in enumerate("AB")}
    responses: dict[str, dict] = {}
    steps, ran = [], []

    def advance(copy: str) -> bool:
        """Run the copy's next statement; False if it had none left (it has answered)."""
        try:
            step = next(running[copy])
        except StopIteration as done:
            responses[copy] = done.value.to_dict()
            del running[copy]
            return False
        ran.append(copy)
        steps.append({"n": len(steps) + 1, "copy": copy, **step.to_dict(),
                      "charges_after": store.count_charges(), "key_after": store.key_row(key)})
        return True

    # A letter whose copy has already answered goes to the other copy; after the schedule, A
    # finishes, then B.
    for letter in schedule + "A" * 8 + "B" * 8:
        for copy in (letter, "B" if letter == "A" else "A"):
            if copy in running and advance(copy):
                break
        if not running:
            break
    followup = None
    if any(r["status"] in (409, 500) for r in responses.values()):
        followup = store.charge(AMOUNT_CENTS, key=key, order=order, now_ms=1_000).to_dict()
    charges = store.count_charges()
    return {"steps": steps, "ran": "".join(ran), "responses": responses, "charges": charges,
            "double_charged": charges > 1, "ledger": store.ledger(), "retry_after_conflict": followup}
