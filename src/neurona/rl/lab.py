"""Lab 3, section 5: deep RL on CartPole — the three agents' learning curves, the DQN ablation (target
network, replay buffer) and the final evaluation table."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from neurona.report import HtmlReport, line_figure
from neurona.rl.runner import moving_average, train

ENV = "CartPole-v1"


def rl_section(report: HtmlReport, quick: bool, seed: int, out: Any) -> dict[str, Any]:
    out = Path(out) / "rl"
    budget = {"episodes": 12, "final_eval_episodes": 5} if quick else {}
    rows, curves, results = [], {}, {}
    for agent in ("dqn", "reinforce", "a2c"):
        r = train(ENV, agent, seed=seed, out_dir=out, **budget)
        results[agent] = r
        curves[f"{agent.upper()} (moving average of 20)"] = (np.arange(1, len(r.returns) + 1),
                                                             moving_average(r.returns))
        rows.append({"agent": agent.upper(), "episodes": r.episodes, "environment steps": r.steps,
                     "training time (s)": round(r.train_time_s, 1), "stopped because": r.stopped,
                     "mean return (greedy evaluation)": r.eval_mean, "std": r.eval_std})
    report.text("Reinforcement learning learns from reward instead of labels. CartPole-v1 gives +1 for every step "
                "the pole stays up, up to 500. DQN learns action values Q(s, a) with a target network and a replay "
                "buffer; REINFORCE follows the policy gradient of whole-episode returns (with a learned baseline); "
                "A2C learns a policy and a value function together from short rollouts of several environments.")
    report.figure(line_figure(curves, "episode", "return", f"{ENV}: learning curves"), "Return per training episode")
    report.table(rows, "Final evaluation: greedy policy, separate seeds" + (" (quick run: tiny budgets)" if quick else
                                                                             ", 100 episodes"))
    report.html("<p>Each agent's own run report (greedy evaluations against the solved threshold, a greedy episode, "
                "every setting): " + ", ".join(f'<a href="rl/{html.escape(r.run_dir.name)}/report.html">{a.upper()}</a>'
                                             for a, r in results.items()) + ".</p>")

    steps = 1500 if quick else 20_000
    ablation, ablation_rows = {}, []
    for name, options in (("DQN", {}), ("no target network", {"use_target_network": False}),
                          ("no replay buffer", {"use_replay": False})):
        r = train(ENV, "dqn", seed=seed, out_dir=out, steps=steps, stop_at_target=False,
                  final_eval_episodes=5 if quick else 20, **options)
        ablation[name] = (np.arange(1, len(r.returns) + 1), moving_average(r.returns))
        ablation_rows.append({"DQN variant": name, "episodes in the budget": r.episodes,
                              "best validation return": r.best_validation_return,
                              "mean return (greedy evaluation)": r.eval_mean})
    report.text(f"Ablation, {steps:,} environment steps each: without the target network DQN chases a moving "
                "target (its own changing estimates); without the replay buffer it learns from consecutive, "
                "strongly correlated transitions. " + ablation_verdict(ablation_rows, steps))
    report.figure(line_figure(ablation, "episode", "return", "DQN ablation"), "Target network and replay buffer")
    report.table(ablation_rows, "Greedy evaluation after the budget")
    return {"available": True, "evaluation": {a: r.eval_mean for a, r in results.items()},
            "ablation": {row["DQN variant"]: row["mean return (greedy evaluation)"] for row in ablation_rows}}


def ablation_verdict(rows: list[dict[str, Any]], steps: int) -> str:
    """What the ablation table shows, in words chosen by its numbers (never what it was expected to show)."""
    scores = {r["DQN variant"]: float(r["mean return (greedy evaluation)"]) for r in rows}
    full = scores.pop("DQN")
    if max(abs(v - full) for v in scores.values()) <= 0.1 * max(full, 1.0):
        return (f"Measured: at this budget the variants do not differ (DQN {full:.1f}, "
                + ", ".join(f"{k} {v:.1f}" for k, v in scores.items())
                + f"): {steps:,} steps are too few for any of them to learn, so this table cannot show what the target "
                "network and the replay buffer do; run the full lab (20,000 steps each) to compare them.")
    words = [f"{k} {'hurts' if v < 0.8 * full else 'does not hurt'} ({v:.1f} vs {full:.1f})" for k, v in scores.items()]
    return "Measured, greedy return after the budget: " + "; ".join(words) + "."
