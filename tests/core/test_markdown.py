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
