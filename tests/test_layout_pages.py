"""Table headers in words (the CSV keeps machine names), "More settings", print answers, the pack."""

import csv
import io

from webapp.demos import REGISTRY
from webapp.table_labels import column_label


def test_column_labels_read_as_words_with_units():
    assert column_label("p99_ms") == "p99 (ms)"
    assert column_label("success_rate") == "Success rate"
    assert column_label("goodput_after_trigger_per_s") == "Goodput after trigger (/s)"
    assert column_label("c_p50_ms_with") == "C p50 with (ms)"
    assert column_label("t_s") == "Time (s)"
    assert column_label("Thread-seconds per 1,000") == "Thread-seconds per 1,000"  # already words


def test_page_shows_words_and_csv_keeps_machine_names(client):
    page = client.get("/demos/retry-storm").get_data(as_text=True)
    assert '<th scope="col">Finished (ms)</th>' in page and '<th scope="col">finished_ms</th>' not in page
    header = next(csv.reader(io.StringIO(client.get("/demos/retry-storm.csv").get_data(as_text=True))))
    assert "finished_ms" in header and "peak_per_bucket" in header


def test_at_most_five_controls_before_more_settings(client):
    page = client.get("/demos/bulkhead").get_data(as_text=True)
    start = page.index('<form class="demo-controls"')
    form = page[start:page.index("</form>", start)]
    up_front = form[:form.index('class="more-settings"')]
    assert up_front.count('<div class="control ') == 5 and 'name="shared_size"' in up_front
    assert "More settings (%d)" % (len(REGISTRY["bulkhead"].params.params) - 5) in form
    assert '<details class="more-settings">' in form  # closed at the defaults
    changed = client.get("/demos/bulkhead?search_rate=70").get_data(as_text=True)
    assert '<details class="more-settings" open>' in changed  # a changed setting is never hidden


def test_lesson_has_print_button_and_answers_for_print(client):
    page = client.get("/lessons/retry-storms").get_data(as_text=True)
    assert "Print this lesson" in page and 'href="/pack"' in page
    answers = page[page.index('class="print-answers"'):]
    assert "Answers: Retry storms" in answers and "More than ten times as long" in answers


def test_pack_holds_every_lesson_with_demos_shown(client, app):
    response = client.get("/pack")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    lessons = app.extensions["lessons"]
    for slug in lessons:
        assert f'id="pack-{slug}"' in page
    assert page.count('class="print-answers"') == sum(1 for l in lessons.values() if l.questions)
    assert "data-withheld" not in page and "data-figure" in page


def test_primary_controls_name_real_parameters(app):
    from webapp import primary_controls
    primary_controls.check()
