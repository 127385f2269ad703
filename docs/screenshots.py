"""Make the report screenshots in docs/images/ that the README links: train a few example runs in full,
then capture a part of each report in headless Chromium (:mod:`neurona.report.screenshot`).

    make screenshots             # or: python docs/screenshots.py [--only NAME] [--keep DIR]

Needs the test extra (Selenium) and Debian's chromium and chromium-driver. Every run is seeded, so the
pictures show what anyone gets from the same commands on the same machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from neurona.report.screenshot import screenshot

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"

# picture: (the neurona command that makes the run, the report sections to capture)
SHOTS: dict[str, tuple[list[str], list[str]]] = {
    "report-lenet5.png": (["train", "examples/digits_lenet5.yaml"], ["What this model learned"]),
    "report-vae.png": (["train", "examples/vae.yaml"], ["Reconstructions", "VAE samples"]),
    "report-cartpole-dqn.png": (["rl", "train", "CartPole-v1", "--agent", "dqn", "--seed", "0"],
                                ["Result", "One greedy episode"]),
}


def make(name: str, command: list[str], sections: list[str], work: Path) -> Path:
    out = work / name.removesuffix(".png")
    subprocess.run([sys.executable, "-m", "neurona.cli", *command, "--out", str(out)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    (report,) = out.glob("*/report.html")
    path = screenshot(report, IMAGES / name, sections=sections, width=1100)
    print(f"{path.relative_to(ROOT)}  <- neurona {' '.join(command)}  [{', '.join(sections)}]")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SHOTS), action="append", help="make only this picture")
    parser.add_argument("--keep", type=Path, help="keep the runs in this folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="neurona-shots-") as tmp:
        work = args.keep or Path(tmp)
        for name in args.only or SHOTS:
            make(name, *SHOTS[name], work)


if __name__ == "__main__":
    main()
