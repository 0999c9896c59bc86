"""Screenshots to look at: `snap(page, "login")` saves test-artifacts/screens/login-phone.png and
login-desktop.png (full page), so every browser test leaves pictures of what it saw."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

SCREENS_DIR = Path(settings.BASE_DIR) / "test-artifacts" / "screens"
VIEWPORTS = {
    "phone": {"width": 360, "height": 740},
    "desktop": {"width": 1280, "height": 800},
}


def snap(page, name: str, sizes: tuple[str, ...] = ("phone", "desktop")) -> list[Path]:
    """Save a full-page screenshot of `page` at each size, then give the page its size back."""
    SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    saved = []
    try:
        for size in sizes:
            page.set_viewport_size(VIEWPORTS[size])
            path = SCREENS_DIR / f"{name}-{size}.png"
            page.screenshot(path=str(path), full_page=True)
            saved.append(path)
    finally:
        if original:
            page.set_viewport_size(original)
    return saved
