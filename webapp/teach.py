"""The instructor's path: "Teach this course" (/teach) with its preflight, the presenter view of a
lesson's speaker notes (/lessons/<slug>/notes), and the room's join links with QR codes.

The machine's addresses and the probe that asks whether one answers are looked up through the app
config (`TEACH_ADDRESSES`, `TEACH_PROBE`), so tests replace them and never send traffic to a LAN.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import markdown
import segno
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request
from markupsafe import Markup

from . import ROOT
from .demo_state import RESULTS, freeze, warm
from .demos import REGISTRY
from .lessons import all_lessons
from .steps import PLANS

bp = Blueprint("teach", __name__)
GUIDE = ROOT / "docs" / "workshop.md"
PLAN_TITLES = {"90": "The 90-minute plan", "180": "The 3-hour plan"}
PROBE_TIMEOUT_S = 0.4
QUIET_ZONE = 4  # modules of white around a QR code, as the standard asks
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//""")


# ---- the machine's addresses, and whether they answer ----------------------------------------------

def lan_addresses() -> list[str]:
    """Every IPv4 address of this machine other than loopback, found without sending a packet:
    each interface's address (Linux), and the one a route to the internet would use (any system)."""
    found: list[str] = []
    try:
        import fcntl  # Linux and macOS; elsewhere only the route's address below is found

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))  # SIOCGIFADDR
                    found.append(socket.inet_ntoa(packed[20:24]))
                except OSError:
                    continue  # an interface without an IPv4 address
    except (ImportError, OSError, AttributeError):
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # a UDP "connect" only picks a route: nothing is sent
            found.append(s.getsockname()[0])
    except OSError:
        pass
    unique = dict.fromkeys(a for a in found if not ipaddress.ip_address(a).is_loopback
                           and not ipaddress.ip_address(a).is_unspecified)
    return sorted(unique, key=ipaddress.ip_address)


def probe(host: str, port: int, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Does a TCP connection to host:port open? (Is the server listening on that address?)"""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _addresses() -> list[str]:
    return current_app.config.get("TEACH_ADDRESSES", lan_addresses)()


def server_port() -> int:
    host = request.host.rsplit("]", 1)[-1]
    if ":" in host:
        return int(host.rsplit(":", 1)[1])
    return int(request.environ.get("SERVER_PORT") or (443 if request.is_secure else 80))


def is_loopback_request() -> bool:
    return request.host.split(":")[0].strip("[]") in ("127.0.0.1", "localhost", "::1")


# ---- join links -------------------------------------------------------------------------------------

def qr_svg(text: str) -> Markup:
    """A QR code of `text` as inline SVG, drawn here (no script, no other host)."""
    qr = segno.make(text, error="m")  # 15 % error correction: survives a glare spot on the projection
    return Markup(qr.svg_inline(scale=1, dark="#000", light="#fff", border=QUIET_ZONE, svgclass="qr",
                                omitsize=True, title=f"QR code: {text}"))  # viewBox only: CSS sizes it


@dataclass(frozen=True)
class JoinLink:
    url: str
    qr: Markup


def join_links(code: str) -> list[JoinLink]:
    """The room's join URL on every non-loopback address of this machine, each with its QR code."""
    port = server_port()
    scheme = "https" if request.is_secure else "http"
    return [JoinLink(url, qr_svg(url)) for url in
            (f"{scheme}://{address}:{port}/live/{code}" for address in _addresses())]


# ---- steps ------------------------------------------------------------------------------------------

def step_label(lesson, step) -> str:
    """What a step is, in a few words: its heading, its question or its demo's title."""
    if step.kind == "question":
        return lesson.questions[step.title].ask
    if step.kind == "demo":
        return REGISTRY[step.title].title if step.title in REGISTRY else step.title
    if step.kind == "title":
        return f"{lesson.title}"
    return f"{step.title} (continued)" if step.continued else step.title


def step_for_state(lesson, state: dict):
    """The step a live session shows: its open question, else its demo, else the lesson's title."""
    if lesson is None:
        return None
    for kind, ref in (("question", state.get("question")), ("demo", state.get("demo"))):
        match = next((s for s in lesson.steps if s.kind == kind and s.title == ref), None)
        if ref and match:
            return match
    return lesson.steps[0] if lesson.steps else None


# ---- the guide and its plans -------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanRow:
    start: int
    end: int
    slug: str | None  # the lesson, or None (a break, the failure lab)
    label: Markup
    todo: Markup

    @property
    def minutes(self) -> int:
        return self.end - self.start


ROW = re.compile(r"^\|\s*(\d+)\s*[–-]\s*(\d+)\s*\|([^|]*)\|(.*)\|\s*$")
LESSON_LINK = re.compile(r"\(/lessons/([a-z0-9-]+)\)")


def _md(text: str) -> Markup:
    return Markup(markdown.markdown(text, extensions=["tables", "fenced_code", "attr_list"]))


def _inline(text: str) -> Markup:
    html = markdown.markdown(text.strip())
    return Markup(re.sub(r"^<p>(.*)</p>$", r"\1", html, flags=re.DOTALL))


@dataclass(frozen=True)
class Plan:
    title: str
    intro: Markup  # the plan's own words, above its table
    rows: tuple[PlanRow, ...]


def read_guide(path: Path = GUIDE) -> tuple[Markup, dict[str, Plan]]:
    """docs/workshop.md as (the guide without its title and plans, the plans by length)."""
    titles = {title: plan for plan, title in PLAN_TITLES.items()}
    kept: list[str] = []
    rows: dict[str, list[PlanRow]] = {plan: [] for plan in PLANS}
    intros: dict[str, list[str]] = {plan: [] for plan in PLANS}
    plan = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            continue  # the page has its own title
        if line.startswith("## "):
            plan = titles.get(line[3:].strip())
            if plan:
                continue
        row = ROW.match(line) if plan else None
        if row:
            start, end, lesson, todo = row.groups()
            slug = LESSON_LINK.search(lesson)
            rows[plan].append(PlanRow(int(start), int(end), slug.group(1) if slug else None,
                                      _inline(lesson), _inline(todo)))
        elif plan:
            if not line.startswith("|"):
                intros[plan].append(line)
        else:
            kept.append(line)
    plans = {p: Plan(PLAN_TITLES[p], _md("\n".join(intros[p])), tuple(rows[p])) for p in PLANS}
    return _md("\n".join(kept)), plans


# ---- preflight --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    ok: bool
    title: str
    detail: str = ""
    items: tuple = ()


def check_network() -> Check:
    port = server_port()
    addresses = _addresses()
    ask = current_app.config.get("TEACH_PROBE", probe)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(addresses)))) as pool:  # one timeout, not one each
        answers = list(pool.map(lambda a: ask(a, port), addresses))
    items = tuple((f"http://{a}:{port}/", ok) for a, ok in zip(addresses, answers))
    if not addresses:
        return Check(False, "No network address", "This machine has no address on a network: "
                     "join Wi-Fi or start a hotspot, then reload this page.")
    if not any(answers):
        return Check(False, f"The room cannot reach port {port}",
                     f"The server listens on this computer only. Restart it with HOST=0.0.0.0 make serve "
                     f"(and allow port {port} through the firewall).", items)
    return Check(all(answers), f"The room can reach port {port}" if all(answers)
                 else f"Some addresses do not answer on port {port}", "Give out an address that answers.", items)


def check_assets() -> Check:
    """Every stylesheet, script, font and image is a file under static/, and no page or style
    sheet names another host."""
    root = Path(current_app.static_folder)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    asset = current_app.jinja_env.globals["asset"]
    problems = []
    for path in files:
        try:
            asset(str(path.relative_to(root)))  # reads and hashes the file, as serving it would
        except Exception as err:  # noqa: BLE001: a report, not a request
            problems.append(f"{path.relative_to(root)}: {err}")
    sources = [*Path(current_app.template_folder).rglob("*.html"), *root.rglob("*.css"),
               *(p for p in root.rglob("*.js") if "vendor" not in p.parts)]
    for path in sources:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if EXTERNAL.search(line):
                problems.append(f"{path.relative_to(ROOT)}:{lineno} names another host")
    if problems:
        return Check(False, "Some assets are not served by this app", "", tuple((p, False) for p in problems))
    return Check(True, f"All {len(files)} assets are served by this app",
                 f"No page or style sheet asks another host for anything ({len(sources)} files checked).")


def check_store() -> Check:
    from .live.store import store_errors
    from .live.views import store

    where = "Redis" if current_app.config.get("REDIS_URL") else f"SQLite ({current_app.config.get('LIVE_DB')})"
    started = time.perf_counter()
    try:
        store().ping()
    except tuple(store_errors()) as err:
        return Check(False, f"The live-session store does not answer: {where}", str(err))
    return Check(True, f"The live-session store answers: {where}",
                 f"in {1000 * (time.perf_counter() - started):.1f} ms")


def warm_states() -> tuple[int, int]:
    """(warmed, total): defaults and presets of every demo already simulated in this process."""
    keys = [(demo.id, freeze(values)) for demo in REGISTRY.values()
            for values in [demo.params.defaults(), *(demo.preset_values(p) for p in demo.presets)]]
    return sum(key in RESULTS for key in keys), len(keys)


def check_warm() -> Check:
    done, total = warm_states()
    if done == total:
        return Check(True, f"Warm-up done: all {total} defaults and presets are simulated",
                     "The room's first clicks are answered from memory.")
    return Check(False, f"Warm-up not done: {done} of {total} defaults and presets simulated",
                 "Under make serve each worker warms up as it starts (a few seconds); in this process, "
                 "press “Warm up now”.")


# ---- routes -----------------------------------------------------------------------------------------

@bp.get("/teach")
def teach():
    guide, plans = read_guide()
    checks = {"network": check_network(), "assets": check_assets(), "store": check_store(), "warm": check_warm()}
    return render_template("teach/teach.html", guide=guide, plans=plans, plan_titles=PLAN_TITLES,
                           lessons=all_lessons(), checks=checks, warmed=request.args.get("warmed"))


@bp.post("/teach/warm")
def warm_up():
    count = warm()
    return redirect(f"/teach?warmed={count}#preflight", 303)


@bp.get("/lessons/<slug>/notes")
def notes(slug: str):
    lessons = all_lessons()
    if slug not in lessons:
        abort(404, description=f"There is no lesson called “{slug}”.")
    plan = request.args.get("plan", PLANS[0])
    if plan not in PLANS:
        abort(400, description=f"plan: “{plan[:10]}” is not a plan; allowed: {', '.join(PLANS)}.")
    lesson = lessons[slug]
    try:
        step = int(request.args.get("step", "1"))
    except ValueError:
        step = 1
    step = min(max(step, 1), len(lesson.steps))
    return render_template("teach/notes.html", lesson=lesson, step=step, plan=plan, plan_titles=PLAN_TITLES,
                           total_minutes=sum(s.minutes(plan) for s in lesson.steps))


def minutes(value: float) -> str:
    """A step's time budget for people: "2 min", "1.5 min", "45 s"."""
    if value < 1:
        return f"{round(value * 60)} s"
    return f"{round(value, 1):g} min"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["step_label"] = step_label
    app.jinja_env.filters["minutes"] = minutes
    app.register_blueprint(bp)


__all__ = ["bp", "init_app", "join_links", "qr_svg", "read_guide", "step_for_state", "lan_addresses", "probe"]
