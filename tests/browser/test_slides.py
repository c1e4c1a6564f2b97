"""Slide mode for a projector, and the presenter view that follows it; the print stylesheet."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import predictions

from webapp import create_app

pytestmark = pytest.mark.browser

LESSONS = create_app().extensions["lessons"]
PROJECTORS = [(1280, 720), (1024, 768)]

# The box of what a demo step shows (its chart, or the diagram of a demo without one), and the
# smallest font size of any text drawn in a chart on screen.
SHOWN_BOX = """slide => {
  const panel = slide.querySelector('.slide-panel-on');
  const el = panel && (panel.querySelector('.chart') || panel);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  const svg = el.querySelector('svg.main-svg');
  const s = svg ? svg.getBoundingClientRect() : r;
  return {left: Math.min(r.left, s.left), top: Math.min(r.top, s.top), right: Math.max(r.right, s.right),
          bottom: Math.max(r.bottom, s.bottom), chart: !!svg, width: r.width, height: r.height};
}"""
SMALLEST_CHART_TEXT = """slide => {
  const sizes = [...slide.querySelectorAll('.slide-panel-on svg text')]
    .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
    .map(t => parseFloat(getComputedStyle(t).fontSize));
  return sizes.length ? Math.min(...sizes) : null;
}"""
SMALLEST_PROSE = """slide => Math.min(...[...slide.querySelectorAll('.prose :is(p, li, td, th, h2, h3)')]
  .filter(el => !el.closest('.eyebrow') && el.textContent.trim()).map(el => parseFloat(getComputedStyle(el).fontSize)))"""
FITTED = """slide => {
  const chart = slide.querySelector('.slide-panel-on .chart');
  if (!chart) return true;
  const svg = chart.querySelector('svg.main-svg');
  return !!svg && Math.abs(svg.getBoundingClientRect().height - chart.clientHeight) < 2;
}"""


def watch(page, errors):
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))


def assert_demo_fits(slides, handle, where, width, height):
    slides.wait_for_function(FITTED, arg=handle)
    box = slides.evaluate(SHOWN_BOX, handle)
    where = f"{where} at {width}×{height}: {box}"
    assert box and box["left"] >= 0 and box["top"] >= 0, where
    assert box["right"] <= width + 0.5 and box["bottom"] <= height + 0.5, where
    if box["chart"]:  # the chart takes most of the screen, its text projected at 16 px or more
        assert box["height"] >= 0.35 * height and box["width"] >= 0.6 * width, where
        assert slides.evaluate(SMALLEST_CHART_TEXT, handle) >= 16, where


def test_right_arrow_walks_every_step_of_every_lesson_and_each_demo_fits(context, live_server):
    """At 1280×720; each demo step is also resized to 1024×768 and checked again."""
    errors = []
    slides, notes = context.new_page(), context.new_page()
    (width, height), (narrow, tall) = PROJECTORS
    for page in (slides, notes):
        page.set_viewport_size({"width": width, "height": height})
        watch(page, errors)
    for i, (slug, lesson) in enumerate(LESSONS.items()):
        slides.goto(f"{live_server}/lessons/{slug}?present=1")
        if i == 0:
            notes.goto(f"{live_server}/lessons/{slug}/notes")
        else:  # the presenter view follows the slides to their next lesson by itself
            expect(notes).to_have_url(re.compile(rf"/lessons/{slug}/notes\?step=1"))
        total = len(lesson.steps)
        for step in lesson.steps:
            n = step.number
            slide = slides.locator(f"#step-{n}")
            expect(slide).to_be_visible()
            expect(slides.locator(".slide:visible")).to_have_count(1)
            expect(slides).to_have_url(re.compile(rf"[?&]step={n}(&|$)"))
            expect(notes.locator("[data-notes-number]")).to_have_text(str(n))  # the notes view follows
            expect(notes.locator(f'[data-notes-step="{n}"]')).to_have_class(re.compile("notes-now"))
            handle = slide.element_handle()
            if step.kind == "demo":
                where = f"{slug} step {n} ({step.title})"
                assert_demo_fits(slides, handle, where, width, height)
                slides.set_viewport_size({"width": narrow, "height": tall})
                assert_demo_fits(slides, handle, where, narrow, tall)
                slides.set_viewport_size({"width": width, "height": height})
                slides.wait_for_function(FITTED, arg=handle)
            elif step.kind == "text":
                size = slides.evaluate(SMALLEST_PROSE, handle)
                assert size >= 24, (slug, n, size)
            if n < total:
                slides.keyboard.press("ArrowRight")
        slides.keyboard.press("ArrowRight")  # on the last step: stays there, nothing breaks
        expect(slides.locator(f"#step-{total}")).to_be_visible()
    assert errors == []


def test_keys_reload_and_the_presenter_view_driving_the_slides(context, live_server):
    errors = []
    slides, notes = context.new_page(), context.new_page()
    for page in (slides, notes):
        page.set_viewport_size({"width": 1024, "height": 768})
        watch(page, errors)
    lesson = LESSONS["retry-backoff"]
    total = len(lesson.steps)
    first_q, second_q = [s.number for s in lesson.steps if s.kind == "question"][:2]
    storm = next(s for s in lesson.steps if s.title == "retry-storm")
    slides.goto(f"{live_server}/lessons/retry-backoff?present=1&backoff-timeline.down_ms=600")
    step = slides.locator("[data-step-number]")
    for key, expected in (("End", total), ("Home", 1), ("PageDown", 2), ("Space", 3), ("Shift+Space", 2),
                          ("PageUp", 1), ("ArrowLeft", 1), ("q", first_q), ("q", second_q)):
        slides.keyboard.press(key)
        expect(step).to_have_text(str(expected))
    slides.reload()  # the step is in the URL
    expect(step).to_have_text(str(second_q))
    expect(slides.locator(f"#step-{second_q}")).to_be_visible()

    # A demo step: the controls open in a drawer; a slider owns its arrow keys; r resets the demo.
    for _ in range(storm.number - second_q):
        slides.keyboard.press("ArrowRight")
    demo = slides.locator(f"#step-{storm.number}")
    expect(demo).to_be_visible()
    slides.keyboard.press("c")
    controls = demo.locator(".demo-controls")
    expect(controls).to_be_visible()
    clients = demo.locator("#retry-storm-clients")
    clients.focus()
    slides.keyboard.press("ArrowRight")
    expect(step).to_have_text(str(storm.number))
    expect(slides).to_have_url(re.compile(r"retry-storm\.clients=\d+"))
    expect(slides).to_have_url(re.compile(rf"step={storm.number}\b"))
    slides.keyboard.press("Escape")  # leaves the slider
    slides.keyboard.press("Escape")  # closes the drawer
    expect(controls).to_be_hidden()
    slides.keyboard.press("r")
    expect(slides).not_to_have_url(re.compile(r"retry-storm\.clients"))
    # Earlier demo state survives all of this, and so does the step
    expect(slides).to_have_url(re.compile(r"backoff-timeline\.down_ms=600"))

    # The presenter view drives the slides, and the slides drive it.
    notes.goto(f"{live_server}/lessons/retry-backoff/notes?plan=180")
    expect(notes.locator("[data-notes-number]")).to_have_text(str(storm.number))  # told where the slides are
    seconds = round(storm.minutes("180") * 60)
    expect(notes.locator("[data-step-budget]")).to_have_text(f"{seconds // 60}:{seconds % 60:02d}")
    notes.get_by_role("link", name="Next →").click()
    expect(step).to_have_text(str(storm.number + 1))
    notes.keyboard.press("ArrowLeft")
    expect(step).to_have_text(str(storm.number))
    slides.keyboard.press("Home")
    expect(notes.locator("[data-notes-number]")).to_have_text("1")
    expect(notes.locator('[data-notes-step="2"]')).to_have_class(re.compile("notes-next"))

    # n goes to the next lesson in slide mode; the presenter view follows it there.
    slides.keyboard.press("n")
    expect(slides).to_have_url(re.compile(r"/lessons/retry-storms\?present=1"))
    expect(notes).to_have_url(re.compile(r"/lessons/retry-storms/notes\?step=1&plan=180"))
    slides.keyboard.press("Escape")  # back to the lesson page, at the step's place
    expect(slides).to_have_url(re.compile(r"/lessons/retry-storms(#.*)?$"))
    expect(slides.locator("body")).not_to_have_class(re.compile("slides-mode"))
    assert errors == []


def test_slide_mode_keeps_the_state_the_learner_reached(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/lessons/retry-backoff?backoff-timeline.down_ms=600")
    page.get_by_role("link", name="Slide mode").click()
    expect(page).to_have_url(re.compile(r"down_ms=600.*present=1|present=1.*down_ms=600"))
    timeline = next(s.number for s in LESSONS["retry-backoff"].steps if s.title == "backoff-timeline")
    for _ in range(timeline - 1):
        page.keyboard.press("ArrowRight")
    expect(page.locator(f"#step-{timeline}")).to_be_visible()
    expect(page.locator("#result-backoff-timeline .verdict")).to_have_text(re.compile("Succeeded on attempt 4"))


def test_reduced_motion_turns_off_the_animations(browser, live_server):
    context = browser.new_context(reduced_motion="reduce", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    n = next(s.number for s in LESSONS["retry-backoff"].steps if s.kind == "demo")
    page.goto(f"{live_server}/lessons/retry-backoff?present=1&step={n}")
    page.keyboard.press("c")
    drawer = page.locator(f"#step-{n} .demo-controls")
    expect(drawer).to_be_visible()
    assert drawer.evaluate("el => getComputedStyle(el).transitionDuration") == "0s"
    page.keyboard.press("Home")
    assert page.evaluate("getComputedStyle(document.querySelector('#step-1 .slide-inner')).animationName") == "none"
    context.close()


def test_print_hides_controls_and_keeps_results(watched_page, live_server):
    page = watched_page
    page.goto(predictions.lesson(live_server, "retry-backoff"))  # results, not the questions' wait
    page.emulate_media(media="print")
    expect(page.locator("#demo-backoff-timeline .demo-controls")).to_be_hidden()
    expect(page.locator("#result-backoff-timeline .verdict")).to_be_visible()
    expect(page.locator("#chart-backoff-timeline")).to_be_visible()
