"""Every block of an article page's text is kept: code blocks among them."""

from __future__ import annotations

from digest.ingest.page import extract_page

PARAGRAPHS = [
    "The city's open data portal now publishes the bus timetables as a feed that anyone can read, the transport "
    "office said on Tuesday, a year after developers first asked for it.",
    "Reading it takes two lines of Python, and the office's own example shows how the departures of one stop "
    "can be printed for the next hour.",
    "The feed is updated every minute, and the office promises that its format will not change without a "
    "month's notice on the portal's news page, where the changes are listed.",
]
CODE = "import timetable\nprint(timetable.departures(stop='Harbour', minutes=60))"


def page() -> bytes:
    return (
        "<!doctype html><html lang='en'><head><title>Bus timetables open to all</title>"
        "<link rel='canonical' href='https://news.example/bus-timetables.html'></head><body>"
        "<nav><a href='/'>Home</a></nav><article><h1>Bus timetables open to all</h1>"
        f"<p>{PARAGRAPHS[0]}</p><p>{PARAGRAPHS[1]}</p><pre><code>{CODE}</code></pre>"
        f"<p>{PARAGRAPHS[2]} It uses <code>timetable</code> as its name.</p>"
        "</article><footer>All rights reserved.</footer></body></html>"
    ).encode()


def test_a_code_block_in_the_article_is_kept_as_a_paragraph_of_its_own() -> None:
    paragraphs = extract_page(page(), "page.html").body.split("\n\n")
    assert " ".join(CODE.split()) in paragraphs
    # Inline code stays inside its sentence, not repeated as a block.
    assert paragraphs[-1] == f"{PARAGRAPHS[2]} It uses timetable as its name."
    assert paragraphs.index(" ".join(CODE.split())) == paragraphs.index(PARAGRAPHS[1]) + 1
