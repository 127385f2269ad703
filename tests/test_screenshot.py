"""Report screenshots in a real headless Chromium (Debian's chromium + chromium-driver, as .ci/run installs):
the whole page, one section cut out by its heading, and clear errors for what cannot work."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imread

from neurona.report import HtmlReport
from neurona.report.screenshot import find_browser, screenshot

try:
    find_browser()
    HAVE_BROWSER = True
except RuntimeError:
    HAVE_BROWSER = False
needs_browser = pytest.mark.skipif(not HAVE_BROWSER, reason="needs Debian's chromium and chromium-driver "
                                   "(.ci/run installs them as root)")


def _block(color: str) -> Figure:
    fig = Figure(figsize=(4, 2), dpi=100)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor(color)
    return fig


@pytest.fixture
def page(tmp_path):
    report = HtmlReport("screenshot test")
    report.section("Intro").text("Three sections, each with one coloured block.")
    report.section("Red part").figure(_block("#ff0000"), "red")
    report.section("Blue part").figure(_block("#0000ff"), "blue")
    return report.write(tmp_path / "report.html")


def _share(png: np.ndarray, rgb: tuple[int, int, int]) -> float:
    """Fraction of the picture's pixels that have exactly this colour."""
    pixels = (png[..., :3] * 255).round().astype(int)
    return float(np.all(pixels == rgb, axis=-1).mean())


@needs_browser
def test_whole_page_and_one_section(page, tmp_path):
    whole = imread(screenshot(page, tmp_path / "whole.png", width=900))
    red = imread(screenshot(page, tmp_path / "red.png", sections=["red"], width=900))
    assert whole.shape[1] == 900 and red.shape[1] == 900
    assert red.shape[0] < whole.shape[0]
    assert _share(whole, (255, 0, 0)) > 0 and _share(whole, (0, 0, 255)) > 0
    assert _share(red, (255, 0, 0)) > 0.05  # the red block is in its section's picture ...
    assert _share(red, (0, 0, 255)) == 0.0  # ... and the next section is not
    both = imread(screenshot(page, tmp_path / "both.png", sections=["Red part", "blue part"], width=900))
    assert _share(both, (255, 0, 0)) > 0 and _share(both, (0, 0, 255)) > 0


@needs_browser
def test_unknown_section_names_the_sections_there(page, tmp_path):
    with pytest.raises(ValueError, match="no section starting with 'Green'.*Intro; Red part; Blue part"):
        screenshot(page, tmp_path / "x.png", sections=["Green"])
    assert not (tmp_path / "x.png").exists()


def test_bad_arguments_fail_before_a_browser_starts(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        screenshot(tmp_path / "missing.html", tmp_path / "x.png")
    (tmp_path / "r.html").write_text("<html></html>")
    with pytest.raises(ValueError, match="width must be in"):
        screenshot(tmp_path / "r.html", tmp_path / "x.png", width=10)
