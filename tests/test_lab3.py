"""Lab 3 in quick mode: a complete report with every section and embedded figures, measured numbers in
their quick-run bounds, and the notebook; the full-size run (marked slow) checks the course's targets."""

import json
import re
from pathlib import Path

import pytest

from figure_style import checked_figures
from neurona.labs import lab3
from test_lab1 import _Collect, run_notebook

ROOT = Path(__file__).resolve().parents[1]


FIGURE_PROBLEMS: list[str] = []  # filled while the quick lab runs


@pytest.fixture(scope="module")
def quick_lab(tmp_path_factory):
    with checked_figures() as problems:
        result = lab3.run(out=tmp_path_factory.mktemp("runs"), quick=True, seed=0)
    FIGURE_PROBLEMS[:] = problems
    return result


def test_every_figure_has_titles_labels_and_a_legend_off_the_data(quick_lab):
    assert FIGURE_PROBLEMS == []


def test_report_complete_and_numbers_in_bounds(quick_lab):
    parser = _Collect()
    parser.feed(quick_lab.report.read_text())
    assert [h.split(".")[0] for h in parser.headings] == ["1", "2", "3", "4", "5"]
    assert len(parser.images) >= 15 and all(s.startswith("data:image/png;base64,") for s in parser.images)
    numbers = json.loads((quick_lab.run_dir / "metrics.json").read_text())["sections"]
    links = re.findall(r'href="(rl/[^"]+/report.html)"', quick_lab.report.read_text())
    assert len(links) == 3 and all((quick_lab.run_dir / link).is_file() for link in links)  # each agent's RL report
    assert numbers["cnn"]["lenet_test_accuracy"] >= 0.85 and numbers["cnn"]["convnet_test_accuracy"] >= 0.85
    assert numbers["cnn"]["lenet_parameters"] == 21386
    assert numbers["rnn"]["rows_test_accuracy"]["lstm"] >= 0.85
    assert numbers["rnn"]["grad_ratio_rnn"] < numbers["rnn"]["grad_ratio_lstm"] < 1  # the RNN's gradient vanishes faster
    ae = numbers["autoencoders"]["reconstruction_mse"]
    assert all(v < 0.05 for v in ae.values())
    assert numbers["gans"]["modes_covered"] >= 6


def test_gradient_through_time_vanishes_for_plain_rnn():
    norms = lab3.gradient_norm_through_time("rnn", T=20)
    assert norms[0] < norms[-1] * 1e-2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_open_forget_gate_keeps_the_gradient_alive(seed):
    """The claim of section 2: a plain RNN's gradient vanishes over 30 steps, an LSTM's with its forget gate open
    (bias 1) survives by orders of magnitude better; with the default initialisation it vanishes too."""
    ratio = {name: (lambda n: n[0] / n[-1])(lab3.gradient_norm_through_time(cell, seed=seed, forget_bias=bias))
             for name, cell, bias in (("rnn", "rnn", None), ("lstm", "lstm", None), ("open", "lstm", 1.0))}
    assert ratio["rnn"] < 1e-6 and ratio["lstm"] < 1e-3
    assert ratio["open"] > 1e3 * ratio["rnn"] and ratio["open"] > 1e2 * ratio["lstm"]


def test_ablation_text_follows_the_numbers():
    from neurona.rl.lab import ablation_verdict

    same = [{"DQN variant": v, "mean return (greedy evaluation)": 9.4} for v in
            ("DQN", "no target network", "no replay buffer")]
    assert "do not differ" in ablation_verdict(same, 1500) and "hurts" not in ablation_verdict(same, 1500)
    apart = [{"DQN variant": "DQN", "mean return (greedy evaluation)": 500.0},
             {"DQN variant": "no target network", "mean return (greedy evaluation)": 23.5},
             {"DQN variant": "no replay buffer", "mean return (greedy evaluation)": 480.0}]
    text = ablation_verdict(apart, 20000)
    assert "no target network hurts (23.5 vs 500.0)" in text and "no replay buffer does not hurt" in text


def test_notebook_runs_in_quick_mode(tmp_path):
    run_notebook(ROOT / "labs" / "lab3.ipynb", tmp_path)


@pytest.mark.slow
def test_full_lab3_reaches_the_course_targets(tmp_path):
    numbers = lab3.run(out=tmp_path, quick=False, seed=0).numbers
    assert numbers["cnn"]["convnet_test_accuracy"] >= 0.98
    assert numbers["cnn"]["lenet_test_accuracy"] >= 0.93
    assert numbers["rnn"]["rows_test_accuracy"]["lstm"] >= 0.95
    assert numbers["rnn"]["waveforms"][0]["test accuracy"] >= 0.95
    assert numbers["gans"]["modes_covered"] == 8
