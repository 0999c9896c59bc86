"""The shared Markdown renderer keeps formatting and drops anything that could run code."""

from django.utils.safestring import SafeString

from core.markdown import render_markdown


def test_markdown_is_rendered():
    html = render_markdown("Hello **world**\n\n- one\n- two\n\n[Norec](https://norec.no)")
    assert isinstance(html, SafeString)
    assert "<strong>world</strong>" in html
    assert "<li>one</li>" in html
    assert 'href="https://norec.no"' in html


def test_scripts_are_stripped():
    html = render_markdown("Hi <script>alert('x')</script> there")
    assert "<script" not in html and "alert" not in html


def test_event_handlers_are_stripped():
    html = render_markdown(
        '<a href="https://a.example" onclick="steal()">x</a><img src="y" onerror="steal()">'
    )
    assert "onclick" not in html and "onerror" not in html and "steal" not in html


def test_javascript_links_are_stripped():
    html = render_markdown('[click](javascript:alert(1)) <a href="javascript:evil()">y</a>')
    assert "javascript:" not in html


def test_empty_text_gives_empty_html():
    assert render_markdown("") == ""


def test_a_text_inherits_nothing_from_the_one_rendered_before():
    # Each thread reuses one converter: footnotes and abbreviations of one text must not leak
    # into the next.
    first = render_markdown("HTML here[^1]\n\n*[HTML]: Hyper Text\n\n[^1]: A note")
    assert "<abbr" in first and "A note" in first
    second = render_markdown("HTML again[^1]")
    assert "<abbr" not in second and "A note" not in second and "footnote" not in second


def test_each_thread_renders_with_its_own_converter():
    # A converter keeps state while converting: two threads of a web worker never share one.
    import threading

    from core.markdown import _converter

    seen = []
    thread = threading.Thread(target=lambda: seen.append(_converter()))
    thread.start()
    thread.join()
    assert seen[0] is not _converter()
    assert _converter() is _converter()  # while a thread keeps its own
