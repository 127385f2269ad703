"""neurona.optim.lr_scheduler.step: StepLR and MultiStepLR formulas, their errors and JSON-safe state."""

import json
from collections import Counter

import pytest

from lr_scheduler_cases import nr_opt, run
from neurona.errors import ConfigError
from neurona.optim import lr_scheduler


def test_step_lr_by_hand():
    opt = nr_opt()
    lrs, _ = run(lr_scheduler.StepLR(opt, step_size=3, gamma=0.1), opt, 7)
    assert lrs[:, 0].tolist() == pytest.approx([0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001])


def test_step_lr_errors():
    with pytest.raises(ConfigError, match="step_size must be a positive integer"):
        lr_scheduler.StepLR(nr_opt(), step_size=0)


def test_multistep_counts_a_repeated_milestone_twice_and_saves_plain_lists():
    opt = nr_opt()
    sched = lr_scheduler.MultiStepLR(opt, milestones=[4, 2, 4], gamma=0.5)
    lrs, _ = run(sched, opt, 6)
    assert lrs[:, 0].tolist() == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.0125, 0.0125])
    state = json.loads(json.dumps(sched.state_dict()))  # JSON keys are strings: no Counter in the state
    assert state["milestones"] == [2, 4, 4]
    again = lr_scheduler.MultiStepLR(nr_opt(), milestones=[1])
    again.load_state_dict(state)
    assert again.milestones == Counter({2: 1, 4: 2})
    again.load_state_dict({**state, "milestones": Counter({2: 1, 4: 2})})  # torch's form of the state
    assert again.milestones == Counter({2: 1, 4: 2})
