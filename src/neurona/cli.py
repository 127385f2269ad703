"""The ``neurona`` command: labs, training from configs, evaluation, prediction and dataset listing.

Exit codes: 0 success; 2 a usage or config error (the message names the field); 1 anything else, with
a one-line cause; 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from neurona import __version__
from neurona.errors import CheckpointError, ConfigError, DatasetError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="neurona: deep learning from first principles. Run the course labs, train from YAML "
                       "configs, evaluate runs.")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

USAGE_ERRORS = (ConfigError, DatasetError, CheckpointError, FileNotFoundError)


def exit_code_for(error: BaseException) -> int:
    """The documented exit code of an error: 130 interrupted, 2 bad input, 1 anything else."""
    if isinstance(error, KeyboardInterrupt):
        return 130
    return 2 if isinstance(error, USAGE_ERRORS) else 1


def _guarded(fn):
    """Turn exceptions into one clear line on stderr and the documented exit code."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None
        except USAGE_ERRORS as e:
            err_console.print(f"error: {e}", markup=False, highlight=False)
            raise typer.Exit(2) from None
        except Exception as e:
            err_console.print(f"error: {type(e).__name__}: {e}".splitlines()[0], markup=False, highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        console.print(f"neurona {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """neurona: deep learning from first principles."""


@app.command()
@_guarded
def lab(
    number: Annotated[int, typer.Argument(help="Which lab: 1, 2 or 3.")],
    quick: Annotated[bool, typer.Option("--quick", help="The small, CI-sized version of the same code.")] = False,
    out: Annotated[Path, typer.Option("--out", help="Folder for the run folders.")] = Path("runs"),
    seed: Annotated[int, typer.Option("--seed", help="Seed for data splits, init and data order.")] = 0,
) -> None:
    """Run a course lab end to end and write its HTML report."""
    from neurona.labs import LABS

    if seed < 0:
        raise ConfigError(f"--seed: must be >= 0, got {seed}")
    if number not in (1, 2, 3):
        raise ConfigError(f"lab: there are labs 1, 2 and 3, got {number}")
    if number not in LABS:
        raise ConfigError(f"lab {number} is not there yet: only lab {', '.join(map(str, sorted(LABS)))} "
                          "can run in this version of neurona")
    result = LABS[number](out=out, quick=quick, seed=seed, console=console)
    table = Table(title=f"Lab {number} summary")
    table.add_column("result")
    table.add_column("value", justify="right")
    for key, value in result.summary.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(table)
    console.print(f"Report: {result.report}")


@app.command()
@_guarded
def train(
    config: Annotated[Path | None, typer.Argument(help="YAML config of the run (see examples/).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a field: --set optimizer.lr=0.1")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the run folders.")] = Path("runs"),
    quick: Annotated[bool, typer.Option("--quick", help="At most 3 epochs on at most 600 samples.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", help="0 silent, 1 progress bar, 2 a line per epoch.")] = 1,
    resume: Annotated[Path | None, typer.Option("--resume", help="Continue a killed, interrupted or failed run "
                                                "in its own folder, from its last checkpoint.")] = None,
) -> None:
    """Train from a config; writes runs/<name>-<time>/ with history, checkpoint, metrics and report."""
    from neurona.config import load_config
    from neurona.experiment import run

    if resume is not None:
        if config is not None or set_ or quick:
            raise ConfigError("--resume RUN_DIR continues a run with its own saved config; give no CONFIG, "
                              "--set or --quick with it")
        run(None, verbose=verbose, console=None, resume=resume)
        return
    if config is None:
        raise ConfigError("train: give a CONFIG.yaml to start a run, or --resume RUN_DIR to continue one")
    run(load_config(config, set_ or []), out=out, quick=quick, verbose=verbose, console=None)


@app.command()
@_guarded
def runs(
    folder: Annotated[Path, typer.Argument(help="A folder of run folders.")] = Path("runs"),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List runs: name, status (running, died, interrupted, failed, diverged, completed), epochs, best metric."""
    from neurona.runs import list_runs

    rows = list_runs(folder)
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    if not rows:
        console.print(f"no runs in {folder}")
        return
    table = Table(title=f"runs in {folder}")
    table.add_column("name", overflow="fold")
    for col in ("status", "epochs", "best", "duration"):
        table.add_column(col)
    for r in rows:
        epochs = "" if r.get("epochs") is None else f"{r['epochs']}" + (f"/{r['total']}" if r.get("total") else "")
        best = r.get("best") or {}
        best_text = f"{best['metric']} {best['value']:.4g} (epoch {best['epoch']})" if best else ""
        duration = f"{r['duration_s']:.0f} s" if isinstance(r.get("duration_s"), int | float) else ""
        table.add_row(r["name"], r["status"], epochs, best_text, duration)
    console.print(table)
    for r in rows:
        if r.get("problem") or r.get("resume"):
            line = f"{r['name']}: {r['status']}" + (f" ({r['problem']})" if r.get("problem") else "")
            if r.get("resume"):
                line += f"; resume with: {r['resume']}"
            console.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command()
@_guarded
def compare(
    run_dirs: Annotated[list[Path], typer.Argument(help="Two or more run folders made by `neurona train`.")],
    out: Annotated[Path, typer.Option("--out", help="The HTML page to write.")] = Path("compare.html"),
) -> None:
    """One HTML page comparing runs: learning curves overlaid, configs side by side (differences marked), metrics."""
    from neurona.report.compare import compare_runs

    path = compare_runs(run_dirs, out)
    console.print(f"Comparison of {len(run_dirs)} runs: {path}", soft_wrap=True, highlight=False, markup=False)


@app.command()
@_guarded
def evaluate(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder.")],
    split: Annotated[str, typer.Option("--split", help="train, val or test.")] = "test",
) -> None:
    """Loss and metrics of a trained run on one split of its data."""
    from neurona.experiment import evaluate_run

    if split not in ("train", "val", "test"):
        raise ConfigError(f"--split: {split!r} is not one of train, val, test")
    result = evaluate_run(run_dir, split)
    table = Table(title=f"{run_dir.name}: {split} split")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, f"{value:.4f}")
    console.print(table)


@app.command()
@_guarded
def predict(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder.")],
    input_csv: Annotated[Path, typer.Argument(help="CSV with one sample per row (header optional).")],
    header: Annotated[bool | None, typer.Option("--header/--no-header", help="Line 1 is (not) a header; by "
                                                "default it is one when it names the training features.")] = None,
) -> None:
    """Predict the rows of a CSV file with a trained run; prints a header line, then one line per row."""
    from neurona.experiment import predict_run, prediction_columns

    predictions, bundle = predict_run(run_dir, input_csv, header)
    outputs = predictions.reshape(len(predictions), -1)
    typer.echo("\t".join(prediction_columns(bundle, outputs.shape[1])))  # tab-separated, as written
    if bundle.task == "classification":
        names = bundle.target_names or [str(i) for i in range(predictions.shape[1])]
        for row in predictions:
            k = int(row.argmax())
            typer.echo(f"{names[k]}\t{row[k]:.4f}")
    else:
        for row in outputs:
            typer.echo("\t".join(f"{v:.6g}" for v in row))


@app.command()
@_guarded
def summary(config: Annotated[Path, typer.Argument(help="YAML config of a run.")]) -> None:
    """Print the model table of a config (layers, output shapes, parameters) without training."""
    from neurona.config import load_config
    from neurona.experiment import prepare

    cfg = load_config(config)
    _, split, model = prepare(cfg)
    shape = (1, *split.X_train.shape[1:])
    if hasattr(model, "generator") and hasattr(model, "latent_dim"):  # a GAN runs its generator, from noise
        shape = (1, model.latent_dim)
    console.print(str(model.summary(shape)), markup=False, highlight=False)


@app.command()
@_guarded
def datasets(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List the datasets: name, task, size, classes and provenance."""
    from neurona.datasets import describe_all

    rows = describe_all()
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    table = Table(title="neurona datasets", show_lines=True)
    table.add_column("name", no_wrap=True)  # names are never cut: the other columns wrap instead
    table.add_column("task, samples, classes or target", ratio=3, min_width=14, overflow="fold")
    table.add_column("source and licence", ratio=3, overflow="fold")
    table.add_column("what it is (and notes)", ratio=4, overflow="fold")
    for r in rows:
        shape = "x".join(map(str, r.get("shape") or ())) or "?"
        predicts = f"{r['classes']} classes" if r.get("classes") else f"target: {r.get('target') or '?'}"
        table.add_row(r["name"], f"{r['task']}, {r.get('n_samples', '')} samples of {shape}; {predicts}",
                      f"{r.get('source', '')}: {r.get('licence', '')}", r.get("summary", ""))
    console.print(table)


@app.command()
@_guarded
def models(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List the reference models a config can name (model.name), with their options and defaults."""
    from neurona.models import describe_models

    rows = describe_models()
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return

    def what(r: dict) -> str:
        return r["description"] + (f" (trains {r['trains']})" if r.get("trains") else "")

    title = "neurona models (config: model: {name: ..., option: value})"
    if console.width < 110:  # narrow terminal or a pipe: one block per model, nothing squeezed into a column
        console.print(f"[bold]{title}[/]\n", highlight=False)
        for r in rows:
            console.print(f"[bold]{r['name']}[/]: {what(r)}", highlight=False)
            console.print("  options: " + ", ".join(f"{k}={v}" for k, v in r["options"].items()), highlight=False)
            if r["from_data"]:
                console.print("  from the data: " + ", ".join(r["from_data"]), highlight=False)
            console.print()
        return
    table = Table(title=title)
    # names and name=value pairs never break inside; the description wraps between words
    table.add_column("name", no_wrap=True)
    table.add_column("what it is", ratio=3)
    table.add_column("options (default)", no_wrap=True)
    table.add_column("from the data", no_wrap=True)
    for r in rows:
        options = "\n".join(f"{k}={v}" for k, v in r["options"].items())
        table.add_row(r["name"], what(r), options, "\n".join(r["from_data"]))
    console.print(table)


@app.command("tune")
@_guarded
def tune_cmd(
    config: Annotated[Path, typer.Argument(help="YAML config with search: and tune: sections (see examples/tune/).")],
    trials: Annotated[int | None, typer.Option("--trials", help="Finished trials to add (default: tune.trials).")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Start no new trial after this many seconds.")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Local worker processes; the cores are divided between them.")] = 1,
    storage: Annotated[str | None, typer.Option("--storage", help="Database URL, e.g. postgresql://user@host/db (default: SQLite in the study folder).")] = None,
    study: Annotated[str | None, typer.Option("--study", help="Study name (default: the config's name). The same name continues the study.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a field: --set training.epochs=20")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the study folders.")] = Path("runs"),
) -> None:
    """Hyper-parameter search with Optuna; writes runs/<study>/ with trial runs, best.yaml and report.html."""
    try:
        from neurona.tune import load_tune_config
        from neurona.tune import tune as run_tune
    except ImportError as e:  # optuna missing
        raise ConfigError(f"neurona tune needs optuna: pip install 'neurona[tune]' ({e})") from None
    run_tune(load_tune_config(config, set_ or []), out=out, study_name=study, storage=storage, trials=trials,
             timeout=timeout, workers=workers, console=console)


rl_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                     help="Deep reinforcement learning on gymnasium (needs the rl extra: pip install 'neurona[rl]').")
app.add_typer(rl_app, name="rl")


def _rl():
    try:
        from neurona import rl
    except ImportError as e:  # gymnasium missing
        raise ConfigError(f"neurona rl needs gymnasium: pip install 'neurona[rl]' ({e})") from None
    return rl


@rl_app.command("train")
@_guarded
def rl_train(
    env: Annotated[str, typer.Argument(help="A gymnasium environment id, e.g. CartPole-v1 or Acrobot-v1.")],
    agent: Annotated[str, typer.Option("--agent", help="dqn, reinforce or a2c.")] = "dqn",
    episodes: Annotated[int | None, typer.Option("--episodes", help="Training episodes (default: the preset's budget).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the environments, the network and the exploration.")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Folder for the run folders.")] = Path("runs"),
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Stop training after this many seconds.")] = None,
) -> None:
    """Train an agent; writes report.html, figures/, returns.csv, learning_curve.png, agent.safetensors, metrics.json."""
    rl = _rl()
    result = rl.train(env, agent, episodes=episodes, seed=seed, out_dir=out, time_limit_s=time_limit, progress=True)
    table = Table(title=f"{agent} on {env}")
    table.add_column("result")
    table.add_column("value", justify="right")
    for key, value in (("episodes", result.episodes), ("environment steps", result.steps),
                       ("training time (s)", f"{result.train_time_s:.1f}"), ("stopped because", result.stopped),
                       ("evaluation: mean return over 100 episodes",
                        f"{result.eval_mean:.1f} ± {result.eval_std:.1f}" if result.eval_mean is not None else "-")):
        table.add_row(key, str(value))
    console.print(table)
    console.print(f"Run folder: {result.run_dir}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"Report: {result.run_dir / 'report.html'}", markup=False, highlight=False, soft_wrap=True)


@rl_app.command("play")
@_guarded
def rl_play(
    run_dir: Annotated[Path, typer.Argument(help="A finished `neurona rl train` run folder.")],
    episodes: Annotated[int, typer.Option("--episodes", help="How many episodes to play.")] = 10,
    render: Annotated[str | None, typer.Option("--render", help="'rgb' saves a strip of frames (needs pygame).")] = None,
) -> None:
    """Play episodes with a trained agent and report the mean return."""
    rl = _rl()
    if render not in (None, "rgb"):
        raise ConfigError(f"--render: {render!r} is not one of rgb")
    result = rl.play(run_dir, episodes=episodes, render=render, verbose=False)  # the mean is printed here, once
    console.print(f"mean return over {episodes} episodes (greedy): {result.mean:.1f} ± {result.std:.1f}",
                  markup=False, highlight=False, soft_wrap=True)
    if result.frames_path:
        console.print(f"frames: {result.frames_path}", markup=False, highlight=False, soft_wrap=True)


@rl_app.command("report")
@_guarded
def rl_report(
    run_dir: Annotated[Path, typer.Argument(help="A finished `neurona rl train` run folder.")],
) -> None:
    """(Re)write a run's report.html: returns with greedy evaluations and the solved threshold, verdict, settings, rollout."""
    path = _rl().write_report(run_dir)
    console.print(f"Report: {path}", markup=False, highlight=False, soft_wrap=True)


@app.command()
@_guarded
def playground(
    port: Annotated[int, typer.Option("--port", help="TCP port of the local server.")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to bind; other machines can reach anything but 127.0.0.1.")] = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open the page in a browser.")] = False,
    max_sessions: Annotated[int, typer.Option("--max-sessions", help="Pages that may train at once.")] = 32,
) -> None:
    """Open the local web playground: TensorFlow Playground's page, trained by neurona (needs neurona[playground])."""
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port: expected 1..65535, got {port}")
    if max_sessions < 1:
        raise ConfigError(f"--max-sessions: expected at least 1, got {max_sessions}")
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise ConfigError(f"neurona playground needs FastAPI and uvicorn: pip install 'neurona[playground]' ({e})") from None
    from neurona.playground import serve

    serve(host=host, port=port, open_browser=not no_browser, max_sessions=max_sessions)


# ---- export (ONNX, issue 22) ------------------------------------------------------------------------
@app.command("export")
@_guarded
def export_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder.")],
    fmt: Annotated[str, typer.Option("--format", help="Output format: onnx.")] = "onnx",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write; default "
                                                "RUN_DIR/model.onnx.")] = None,
    opset: Annotated[int, typer.Option("--opset", help="ONNX opset version (14 to 21).")] = 17,
) -> None:
    """Write a trained run's model as an ONNX file (dynamic batch size), checked in onnxruntime."""
    try:
        from neurona.onnx.run import export_run
    except ImportError as e:
        raise ConfigError(f"neurona export needs the onnx extra: pip install 'neurona[onnx]' ({e})") from None
    path, difference = export_run(run_dir, output, fmt, opset)
    console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)
    if difference is not None:
        console.print(f"onnxruntime reproduces neurona's outputs on test rows (max abs difference {difference:.2e})",
                      markup=False, highlight=False, soft_wrap=True)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
