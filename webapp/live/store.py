"""Where live sessions live: SQLite by default, Redis when several app machines share a room.

Both stores keep the same four things per session and answer the same calls:
  - the session: room code, a hash of the control token, the state the room follows (JSON) and its
    version (bumped on every change, so a poll compares one integer), created and expiry times;
  - the attendees who joined, with when each was last seen (the room limit counts them);
  - the answers, one per (question, attendee): answering again replaces the answer;
  - when each attendee last answered (the answer rate limit).
Beside the sessions, the store keeps the rate-limit counters (per client address: joins, unknown
codes) and the secret that signs attendee ids, so that both hold across every worker and machine.
Every call is one short transaction (SQLite) or one round trip (Redis: a Lua script when it must read
and write atomically), so several processes and machines can share a store safely. Times are passed
in (`now`, seconds since the epoch) so that expiry and rate limits are testable without sleeping.
A session expires `ttl` seconds after the instructor's last change; everything of it goes with it.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

OK, RATE_LIMITED, NOT_JOINED = "ok", "rate-limited", "not-joined"


@dataclass(frozen=True)
class LiveSession:
    code: str
    token_hash: str
    version: int
    state: dict
    created: float
    expires: float


def dump_state(state: dict) -> str:
    """Canonical JSON, so that 'did the state change?' is a string comparison in either store."""
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


class LiveStore:
    """The interface; see the module docstring. `None` from a read means no such live session."""

    kind = "abstract"

    def create(self, code: str, token_hash: str, state: dict, now: float, ttl: float) -> LiveSession | None:
        """A new session, or None when the code is taken (the caller draws another)."""
        raise NotImplementedError

    def get(self, code: str, now: float) -> LiveSession | None:
        raise NotImplementedError

    def update(self, code: str, state: dict | None, now: float, ttl: float) -> LiveSession | None:
        """Store a new state (the version goes up only if it differs) and push the expiry back."""
        raise NotImplementedError

    def end(self, code: str) -> None:
        raise NotImplementedError

    def join(self, session: LiveSession, attendee: str, now: float, limit: int) -> bool:
        """Record the attendee as seen now; False when they are new and the room already holds `limit`."""
        raise NotImplementedError

    def answer(self, session: LiveSession, question: str, attendee: str, answer: str, now: float,
               min_interval: float) -> str:
        """Upsert the attendee's answer: OK, RATE_LIMITED (answered less than min_interval ago) or NOT_JOINED."""
        raise NotImplementedError

    def answers(self, code: str, question: str) -> list[str]:
        raise NotImplementedError

    def answer_of(self, code: str, question: str, attendee: str) -> str | None:
        raise NotImplementedError

    def online(self, code: str, since: float) -> int:
        """Attendees seen at or after `since`."""
        raise NotImplementedError

    def attendees(self, code: str) -> int:
        """Attendees who ever joined (what the room limit counts)."""
        raise NotImplementedError

    def ping(self) -> None:
        raise NotImplementedError

    def hit(self, key: str, window: float, now: float) -> int:
        """Count one event under `key` in the current fixed window of `window` seconds; returns the
        window's count so far, this one included (the rate limiter compares it with its limit)."""
        raise NotImplementedError

    def secret(self) -> bytes:
        """The key that signs attendee ids: drawn once, then the same for every process sharing the store."""
        raise NotImplementedError


# ---- SQLite -------------------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS live_sessions (
  code TEXT PRIMARY KEY, token_hash TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL,
  created REAL NOT NULL, expires REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS live_attendees (
  code TEXT NOT NULL, attendee TEXT NOT NULL, seen REAL NOT NULL, last_answer REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (code, attendee)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS live_attendees_seen ON live_attendees (code, seen);
CREATE TABLE IF NOT EXISTS live_answers (
  code TEXT NOT NULL, question TEXT NOT NULL, attendee TEXT NOT NULL, answer TEXT NOT NULL, at REAL NOT NULL,
  PRIMARY KEY (code, question, attendee)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS live_limits (
  key TEXT PRIMARY KEY, since REAL NOT NULL, count INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS live_secret (id INTEGER PRIMARY KEY CHECK (id = 1), secret BLOB NOT NULL);
"""
SESSION_COLUMNS = "code, token_hash, version, state, created, expires"


class SQLiteLiveStore(LiveStore):
    """One file, WAL mode (readers never wait for the writer), one connection per thread and process.

    A poll is one primary-key read. Writes are short `BEGIN IMMEDIATE` transactions; concurrent
    writers from other processes wait up to `busy_timeout` for the lock instead of failing.
    """

    kind = "sqlite"
    BUSY_TIMEOUT_S = 5.0

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._local = threading.local()
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a crash of the app
        with self._schema_lock:
            if not self._schema_ready:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(SCHEMA)
                self._schema_ready = True
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _write(self):
        return _Transaction(self._conn())

    @staticmethod
    def _session(row) -> LiveSession | None:
        if row is None:
            return None
        code, token_hash, version, state, created, expires = row
        return LiveSession(code, token_hash, version, json.loads(state), created, expires)

    def create(self, code, token_hash, state, now, ttl):
        with self._write() as db:
            # Expired sessions go, with their attendees and answers, whenever a new one is made.
            for table in ("live_attendees", "live_answers"):
                db.execute(f"DELETE FROM {table} WHERE code NOT IN "
                           "(SELECT code FROM live_sessions WHERE expires > ?)", (now,))
            db.execute("DELETE FROM live_sessions WHERE expires <= ?", (now,))
            db.execute("DELETE FROM live_limits WHERE expires <= ?", (now,))
            row = db.execute(f"INSERT INTO live_sessions ({SESSION_COLUMNS}) VALUES (?, ?, 1, ?, ?, ?) "
                             f"ON CONFLICT (code) DO NOTHING RETURNING {SESSION_COLUMNS}",
                             (code, token_hash, dump_state(state), now, now + ttl)).fetchone()
        return self._session(row)

    def get(self, code, now):
        row = self._conn().execute(f"SELECT {SESSION_COLUMNS} FROM live_sessions WHERE code = ? AND expires > ?",
                                   (code, now)).fetchone()
        return self._session(row)

    def update(self, code, state, now, ttl):
        with self._write() as db:
            if state is None:
                row = db.execute(f"UPDATE live_sessions SET expires = ? WHERE code = ? AND expires > ? "
                                 f"RETURNING {SESSION_COLUMNS}", (now + ttl, code, now)).fetchone()
            else:
                text = dump_state(state)
                row = db.execute(f"UPDATE live_sessions SET version = version + (state IS NOT ?), state = ?, "
                                 f"expires = ? WHERE code = ? AND expires > ? RETURNING {SESSION_COLUMNS}",
                                 (text, text, now + ttl, code, now)).fetchone()
        return self._session(row)

    def end(self, code):
        with self._write() as db:
            for table in ("live_sessions", "live_attendees", "live_answers"):
                db.execute(f"DELETE FROM {table} WHERE code = ?", (code,))

    def join(self, session, attendee, now, limit):
        with self._write() as db:
            if db.execute("UPDATE live_attendees SET seen = ? WHERE code = ? AND attendee = ?",
                          (now, session.code, attendee)).rowcount:
                return True
            (count,) = db.execute("SELECT COUNT(*) FROM live_attendees WHERE code = ?", (session.code,)).fetchone()
            if count >= limit:
                return False
            db.execute("INSERT INTO live_attendees (code, attendee, seen) VALUES (?, ?, ?)",
                       (session.code, attendee, now))
            return True

    def answer(self, session, question, attendee, answer, now, min_interval):
        with self._write() as db:
            row = db.execute("SELECT last_answer FROM live_attendees WHERE code = ? AND attendee = ?",
                             (session.code, attendee)).fetchone()
            if row is None:
                return NOT_JOINED
            if now - row[0] < min_interval:
                return RATE_LIMITED
            db.execute("UPDATE live_attendees SET last_answer = ?, seen = ? WHERE code = ? AND attendee = ?",
                       (now, now, session.code, attendee))
            db.execute("INSERT INTO live_answers (code, question, attendee, answer, at) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (code, question, attendee) DO UPDATE SET answer = excluded.answer, at = excluded.at",
                       (session.code, question, attendee, answer, now))
            return OK

    def answers(self, code, question):
        rows = self._conn().execute("SELECT answer FROM live_answers WHERE code = ? AND question = ?",
                                    (code, question)).fetchall()
        return [r[0] for r in rows]

    def answer_of(self, code, question, attendee):
        row = self._conn().execute("SELECT answer FROM live_answers WHERE code = ? AND question = ? AND attendee = ?",
                                   (code, question, attendee)).fetchone()
        return row[0] if row else None

    def online(self, code, since):
        return self._conn().execute("SELECT COUNT(*) FROM live_attendees WHERE code = ? AND seen >= ?",
                                    (code, since)).fetchone()[0]

    def attendees(self, code):
        return self._conn().execute("SELECT COUNT(*) FROM live_attendees WHERE code = ?", (code,)).fetchone()[0]

    def ping(self):
        self._conn().execute("SELECT 1").fetchone()

    def hit(self, key, window, now):
        start = now - now % window
        with self._write() as db:
            (count,) = db.execute(
                "INSERT INTO live_limits (key, since, count, expires) VALUES (?, ?, 1, ?) "
                "ON CONFLICT (key) DO UPDATE SET count = CASE WHEN since = excluded.since THEN count + 1 ELSE 1 END, "
                "since = excluded.since, expires = excluded.expires RETURNING count",
                (key, start, start + window)).fetchone()
        return count

    def secret(self):
        with self._write() as db:
            db.execute("INSERT INTO live_secret (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
                       (secrets.token_bytes(32),))
            return bytes(db.execute("SELECT secret FROM live_secret WHERE id = 1").fetchone()[0])


class _Transaction:
    """`with` block = one BEGIN IMMEDIATE ... COMMIT (ROLLBACK on an exception)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


# ---- Redis --------------------------------------------------------------------------------------
# Keys of one session share the hash tag {CODE}, so they would sit in one slot of a Redis Cluster.
#   rl:live:{CODE}           hash: token_hash, version, state, created, expires
#   rl:live:{CODE}:seen      sorted set: attendee -> last seen
#   rl:live:{CODE}:last      hash: attendee -> when they last answered
#   rl:live:{CODE}:asked     set: question ids that have answers
#   rl:live:{CODE}:ans:<q>   hash: attendee -> answer
# Every key expires with the session (PEXPIREAT), and an instructor's change pushes them all back.

_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for _, q in ipairs(redis.call('SMEMBERS', KEYS[4])) do redis.call('DEL', ARGV[6] .. q) end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'token_hash', ARGV[1], 'version', 1, 'state', ARGV[2], 'created', ARGV[3],
           'expires', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return 1
"""

_UPDATE = """
local expires = redis.call('HGET', KEYS[1], 'expires')
if not expires or tonumber(expires) <= tonumber(ARGV[4]) then return false end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'version', 1)
end
redis.call('HSET', KEYS[1], 'expires', ARGV[2])
for i = 1, 4 do redis.call('PEXPIREAT', KEYS[i], ARGV[3]) end
for _, q in ipairs(redis.call('SMEMBERS', KEYS[4])) do redis.call('PEXPIREAT', ARGV[5] .. q, ARGV[3]) end
return redis.call('HGETALL', KEYS[1])
"""

_END = """
for _, q in ipairs(redis.call('SMEMBERS', KEYS[4])) do redis.call('DEL', ARGV[1] .. q) end
return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
"""

_JOIN = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
"""

_ANSWER = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 'not-joined' end
local last = redis.call('HGET', KEYS[2], ARGV[1])
if last and tonumber(ARGV[3]) - tonumber(last) < tonumber(ARGV[4]) then return 'rate-limited' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[6])
for i = 1, 4 do redis.call('PEXPIREAT', KEYS[i], ARGV[5]) end
return 'ok'
"""


class RedisLiveStore(LiveStore):
    """Redis for several app machines behind a load balancer: they all see the same sessions."""

    kind = "redis"

    def __init__(self, url: str):
        import redis  # only needed when REDIS_URL is set

        self.url = url
        self.redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=2,
                                          socket_connect_timeout=2, health_check_interval=30)
        self._create = self.redis.register_script(_CREATE)
        self._update = self.redis.register_script(_UPDATE)
        self._end = self.redis.register_script(_END)
        self._join = self.redis.register_script(_JOIN)
        self._answer = self.redis.register_script(_ANSWER)

    @staticmethod
    def _keys(code: str) -> list[str]:
        base = f"rl:live:{{{code}}}"
        return [base, f"{base}:seen", f"{base}:last", f"{base}:asked"]

    @staticmethod
    def _answers_prefix(code: str) -> str:
        return f"rl:live:{{{code}}}:ans:"

    @staticmethod
    def _session(code: str, fields) -> LiveSession | None:
        if not fields:
            return None
        if isinstance(fields, list):  # HGETALL from Lua comes back as a flat list
            fields = dict(zip(fields[::2], fields[1::2]))
        return LiveSession(code, fields["token_hash"], int(fields["version"]), json.loads(fields["state"]),
                           float(fields["created"]), float(fields["expires"]))

    def create(self, code, token_hash, state, now, ttl):
        expires = now + ttl
        created = self._create(keys=self._keys(code), args=[
            token_hash, dump_state(state), repr(now), repr(expires), int(expires * 1000),
            self._answers_prefix(code)])
        return self.get(code, now) if created else None

    def get(self, code, now):
        session = self._session(code, self.redis.hgetall(self._keys(code)[0]))
        return session if session and session.expires > now else None

    def update(self, code, state, now, ttl):
        expires = now + ttl
        fields = self._update(keys=self._keys(code), args=[
            "" if state is None else dump_state(state), repr(expires), int(expires * 1000), repr(now),
            self._answers_prefix(code)])
        return self._session(code, fields)

    def end(self, code):
        self._end(keys=self._keys(code), args=[self._answers_prefix(code)])

    def join(self, session, attendee, now, limit):
        keys = self._keys(session.code)
        return bool(self._join(keys=[keys[1]], args=[attendee, repr(now), limit, int(session.expires * 1000)]))

    def answer(self, session, question, attendee, answer, now, min_interval):
        keys = self._keys(session.code)
        return self._answer(
            keys=[keys[1], keys[2], self._answers_prefix(session.code) + question, keys[3]],
            args=[attendee, answer, repr(now), repr(min_interval), int(session.expires * 1000), question])

    def answers(self, code, question):
        return self.redis.hvals(self._answers_prefix(code) + question)

    def answer_of(self, code, question, attendee):
        return self.redis.hget(self._answers_prefix(code) + question, attendee)

    def online(self, code, since):
        return self.redis.zcount(self._keys(code)[1], repr(since), "+inf")

    def attendees(self, code):
        return self.redis.zcard(self._keys(code)[1])

    def ping(self):
        self.redis.ping()

    def persistence_warning(self) -> str | None:
        """What is wrong with this Redis's durability for live sessions, or None when it keeps them."""
        try:
            config = {**self.redis.config_get("appendonly"), **self.redis.config_get("save")}
        except Exception:  # managed Redis often refuses CONFIG: nothing to say, nothing to break
            return None
        if config.get("appendonly") == "yes" or config.get("save"):
            return None
        return (f"Redis at {self.url} runs without persistence (appendonly no, no save points): a restart "
                "of Redis ends every live session. Run it with --appendonly yes (see README).")

    def hit(self, key, window, now):
        name = f"rl:limit:{key}:{int(now // window)}"
        pipe = self.redis.pipeline()
        pipe.incr(name)
        pipe.pexpire(name, int(window * 1000) + 1000)
        return pipe.execute()[0]

    def secret(self):
        self.redis.set("rl:live:secret", secrets.token_hex(32), nx=True)
        return bytes.fromhex(self.redis.get("rl:live:secret"))


def store_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean 'the store is unreachable or busy right now' (answered with a 503)."""
    errors: list[type[BaseException]] = [sqlite3.OperationalError]
    try:
        import redis

        errors.append(redis.RedisError)
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return tuple(errors)


def open_store(sqlite_path: str | os.PathLike, redis_url: str | None = None) -> LiveStore:
    """Redis when a URL is given, else the SQLite file. Nothing is opened until the first call."""
    return RedisLiveStore(redis_url) if redis_url else SQLiteLiveStore(sqlite_path)
