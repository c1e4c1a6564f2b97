"""The theme switch: data-theme on <html> must give the same colours as the system's dark mode."""

import re
from pathlib import Path

CSS = Path(__file__).resolve().parent.parent / "static" / "css"


def variables(block: str) -> dict:
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", block))


def test_the_dark_theme_repeats_the_system_dark_colours():
    app_css = (CSS / "app.css").read_text()
    system = re.search(r'@media \(prefers-color-scheme: dark\) \{\s*:root:not\(\[data-theme="light"\]\) \{(.*?)\}',
                       app_css, re.S)
    chosen = re.search(r':root\[data-theme="dark"\] \{(.*?)\}', (CSS / "theme.css").read_text(), re.S)
    assert system and chosen
    assert variables(chosen.group(1)) == variables(system.group(1))


def test_every_system_dark_rule_gives_way_to_a_chosen_light_theme():
    """A rule under prefers-color-scheme: dark must exclude data-theme="light", or "Light" is not light."""
    for path in CSS.glob("*.css"):
        text = path.read_text()
        for block in re.finditer(r"@media \(prefers-color-scheme: dark\) \{(.*?)\n?\}\s*\}", text, re.S):
            selectors = re.findall(r"([^{};]+)\{", block.group(1))
            for selector in selectors:
                for one in selector.split(","):
                    assert ':not([data-theme="light"])' in one, f"{path.name}: {one.strip()!r}"


def test_the_theme_script_loads_in_head_before_first_paint(client):
    html = client.get("/").get_data(as_text=True)
    head = html.split("</head>")[0]
    tag = re.search(r'<script src="[^"]*js/theme\.js[^"]*"[^>]*>', head)
    assert tag and "defer" not in tag.group(0) and "async" not in tag.group(0)
    assert head.index("theme.css") < head.index(tag.group(0))
    assert '<select id="theme-choice">' in html
