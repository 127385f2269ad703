"""Pictures of a report: open ``report.html`` in headless Chromium and save a PNG of the whole page or of
some of its sections (for the README, slides or a lab hand-out).

    from neurona.report.screenshot import screenshot
    screenshot("runs/digits-lenet5-.../report.html", "lenet5.png", sections=["What this model learned"])

The browser is Debian's ``chromium`` driven by Selenium through ``chromedriver`` (``apt-get install chromium
chromium-driver``; Selenium is in the ``test`` extra). The page is captured beyond the window
(Chrome DevTools' ``Page.captureScreenshot`` with ``captureBeyondViewport``), so a tall section comes out
whole; the PNG is written atomically.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from neurona.io.atomic import atomic_write_bytes

CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--hide-scrollbars")
MAX_HEIGHT = 12_000  # pixels; a capture taller than this is cut (and says so in the error)

# the page's own coordinates of each section: from its <h2> down to the next <h2> (or the end of the body)
_SECTION_BOXES = """
const heads = Array.from(document.querySelectorAll('h2'));
const end = document.body.getBoundingClientRect().bottom + window.scrollY;
return heads.map((h, i) => ({title: h.textContent,
  top: h.getBoundingClientRect().top + window.scrollY,
  bottom: i + 1 < heads.length ? heads[i + 1].getBoundingClientRect().top + window.scrollY : end}));
"""


def find_browser() -> tuple[str, str]:
    """Paths of Debian's chromium and chromedriver, or a RuntimeError saying how to install them."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        missing = " and ".join(n for n, p in (("chromium", chromium), ("chromedriver", driver)) if not p)
        raise RuntimeError(f"screenshots need a headless browser: {missing} not found on PATH; install Debian's "
                           "packages with: sudo apt-get install chromium chromium-driver")
    return chromium, driver


def screenshot(html_path: str | Path, png_path: str | Path, sections: Sequence[str] | None = None,
               width: int = 1200) -> Path:
    """Save a PNG of ``html_path`` as Chromium draws it ``width`` CSS pixels wide.

    Parameters
    ----------
    html_path : path of a report (any local HTML file)
    png_path : where the PNG goes (written atomically)
    sections : titles of sections to keep (the start of each ``<h2>`` heading's text, case-insensitive): the
        picture runs from the first of them to the end of the last; None captures the whole page
    width : the window's width in CSS pixels (the report's text column is 1100 px at most)

    Returns
    -------
    Path
        ``png_path``
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise FileNotFoundError(f"screenshot: {html_path} does not exist; give the path of a report.html")
    if not 320 <= width <= 4000:
        raise ValueError(f"screenshot: width must be in [320, 4000] pixels, got {width}")
    chromium, driver_path = find_browser()
    with tempfile.TemporaryDirectory(prefix="neurona-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in (*CHROMIUM_ARGS, f"--window-size={width},1000", f"--user-data-dir={profile}"):
            options.add_argument(arg)
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
        try:
            driver.get(html_path.as_uri())
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
            page_height = driver.execute_script("return document.documentElement.scrollHeight;")
            top, bottom = 0.0, float(page_height)
            if sections:
                top, bottom = _clip(driver.execute_script(_SECTION_BOXES), sections, html_path)
            if bottom - top > MAX_HEIGHT:
                raise ValueError(f"screenshot: the capture would be {bottom - top:.0f} px tall (at most {MAX_HEIGHT}); "
                                 "pick fewer sections")
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": top, "width": width, "height": bottom - top, "scale": 1}})
        finally:
            driver.quit()
    png_path = Path(png_path)
    atomic_write_bytes(png_path, base64.b64decode(shot["data"]))
    return png_path


def _clip(boxes: list[dict], wanted: Sequence[str], html_path: Path) -> tuple[float, float]:
    """(top, bottom) in page pixels from the first wanted section's heading to the end of the last."""
    picked = []
    for title in wanted:
        match = [b for b in boxes if b["title"].strip().lower().startswith(title.strip().lower())]
        if not match:
            have = "; ".join(b["title"] for b in boxes) or "none"
            raise ValueError(f"screenshot: {html_path.name} has no section starting with {title!r}; its sections "
                             f"are: {have}")
        picked.append(match[0])
    return min(b["top"] for b in picked) - 8, max(b["bottom"] for b in picked)
