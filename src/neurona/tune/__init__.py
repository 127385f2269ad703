"""Hyper-parameter search on Optuna: ``neurona tune CONFIG.yaml``, from one laptop to many machines.

    from neurona.tune import load_tune_config, tune
    result = tune(load_tune_config("examples/tune/digits.yaml"), workers=2)
    result.best_params, result.test_metrics, result.report

A config's ``search:`` section maps field paths to distributions and its ``tune:`` section says how to
search (:mod:`neurona.tune.config`); every trial is an ordinary run in ``runs/<study>/trial-NNN/``
(:mod:`neurona.tune.objective`); workers share a study through SQLite in the study folder or PostgreSQL
(:mod:`neurona.tune.storage`, :mod:`neurona.tune.worker`); afterwards the best configuration is retrained
on train + validation and tested once (:mod:`neurona.tune.study`), and ``report.html`` is written
(:mod:`neurona.tune.report`). Needs the ``tune`` extra: ``pip install 'neurona[tune]'``.
"""

from neurona.tune.config import SearchEntry, TuneConfig, TuneSection, load_tune_config, validate_tune_config
from neurona.tune.study import TuneResult, tune

__all__ = ["SearchEntry", "TuneConfig", "TuneResult", "TuneSection", "load_tune_config", "tune",
           "validate_tune_config"]
