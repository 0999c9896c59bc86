"""The page a refused request gets (a NUL character in the address) reads well on a phone."""

from playwright.sync_api import expect


def test_a_garbled_link_gets_a_readable_page_on_a_phone(phone_page, live_server, snap):
    page = phone_page
    response = page.goto(f"{live_server.url}/activities/calendar/%00/x.ics")

    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This address or form could not be read"
    )
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    snap(page, "request-refused")
