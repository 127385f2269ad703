"""The README and docs/ link only to files that exist (pictures, configs, other pages), and the report
pictures the README shows are ones docs/screenshots.py makes."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md",
         ROOT / "labs" / "README.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", [p for p in PAGES if p.exists()], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_local_link_resolves(page):
    missing = [target for target in LINK.findall(page.read_text(encoding="utf-8"))
               if not re.match(r"[a-z]+:", target) and not (page.parent / target).exists()]
    assert missing == [], f"{page.relative_to(ROOT)} links to missing files: {missing}"


def test_the_readme_report_pictures_are_made_by_the_screenshot_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shown = set(re.findall(r"docs/images/(report-[\w.-]+\.png)", (ROOT / "README.md").read_text(encoding="utf-8")))
    assert len(shown) >= 3 and shown <= set(module.SHOTS)
    for name in shown:
        png = (ROOT / "docs" / "images" / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
