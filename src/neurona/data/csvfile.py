"""Reading the feature rows of a CSV file for ``neurona predict``, honestly.

A data row is never taken for a header by accident: the first line is a header only when it names the
training features (``sepal length`` matches ``sepal length (cm)``) or holds no number at all, unless
``header=True/False`` decides. A non-numeric, empty, infinite or overflowing cell is reported with its
file, line and column; ``;``-separated files are read (and a decimal comma is reported); quoted numbers
are numbers.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np

from neurona.errors import ConfigError


def _norm(name: str) -> str:
    name = re.sub(r"\(.*?\)|\[.*?\]", "", name.lower())
    return re.sub(r"[^a-z0-9]+", "", name)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _names_match(row: list[str], names: list[str] | None) -> bool:
    if not names or len(row) != len(names):
        return False
    return all(_norm(a) and (_norm(a) == _norm(b) or _norm(b).startswith(_norm(a)) or _norm(a).startswith(_norm(b)))
               for a, b in zip(row, names))


def read_feature_csv(path: str | Path, n_features: int, feature_names: list[str] | None = None,
                     header: bool | None = None) -> np.ndarray:
    """The rows of ``path`` as a float64 array (rows, n_features).

    Parameters
    ----------
    path : str or Path
        A CSV file, one sample per line; ``,`` or ``;`` separated.
    n_features : int
        Columns each row must have.
    feature_names : list of str, optional
        The training features, to recognise a header line.
    header : bool, optional
        True: line 1 is a header; False: line 1 is data; None: decide from ``feature_names``.

    Raises
    ------
    ConfigError
        Naming the file, line and column of the first bad cell, or what else is wrong.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path} is a directory; give a CSV file with one sample per line")
    if not path.is_file():
        raise FileNotFoundError(f"input file {path} does not exist")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise ConfigError(f"{path} is a binary file (it holds NUL bytes), not CSV text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path} is not UTF-8 text: byte 0x{raw[e.start]:02x} at offset {e.start}; save it "
                          "as UTF-8 CSV") from None
    lines = text.splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise ConfigError(f"{path} is empty; expected {n_features} numeric columns per row")
    first = numbered[0][1]
    semicolons = ";" in first and ("," not in first or len(first.split(";")) == n_features)
    delimiter = ";" if semicolons else ","
    rows = [(n, [c.strip() for c in next(csv.reader([line], delimiter=delimiter, skipinitialspace=True))])
            for n, line in numbered]
    forced_data = header is False
    if header is None:
        head = rows[0][1]
        # a line with no number (decimal commas count as numbers) is a header
        header = _names_match(head, feature_names) or not any(
            _is_number(c) or re.fullmatch(r"[-+]?\d+,\d+", c) for c in head)
    if header:
        rows = rows[1:]
        if not rows:
            raise ConfigError(f"{path} holds only a header line; expected rows of {n_features} numbers")
    expected = f"{n_features} numeric columns" + (f" ({', '.join(feature_names)})" if feature_names else "")
    X = np.empty((len(rows), n_features), dtype=np.float64)
    for r, (line_no, cells) in enumerate(rows):
        if len(cells) != n_features:
            hint = ""
            if delimiter == ";" and any("," in c for c in cells):
                hint = "; it uses ';' between columns and ',' as the decimal mark: write decimals with '.'"
            raise ConfigError(f"{path}, line {line_no}: {len(cells)} columns, expected {expected}{hint}")
        for c, cell in enumerate(cells):
            where = f"{path}, line {line_no}, column {c + 1}" + (
                f" ({feature_names[c]})" if feature_names and c < len(feature_names) else "")
            if not cell:
                raise ConfigError(f"{where}: the cell is empty; every feature needs a number")
            try:
                value = float(cell)
            except ValueError:
                hint = " (a decimal comma? write it with '.')" if re.fullmatch(r"-?\d+,\d+", cell) else ""
                if r == 0 and forced_data:
                    hint += " (is line 1 a header? pass --header)"
                raise ConfigError(f"{where}: {cell!r} is not a number{hint}") from None
            if math.isfinite(value) and abs(value) > np.finfo(np.float32).max:
                raise ConfigError(f"{where}: {cell!r} overflows float32, the model's precision (largest "
                                  f"{np.finfo(np.float32).max:.3g})")
            if not math.isfinite(value):
                what = "overflows a float (too large)" if _is_number(cell) and "inf" not in cell.lower() and \
                    "nan" not in cell.lower() else "is not a finite number"
                raise ConfigError(f"{where}: {cell!r} {what}; every feature must be finite")
            X[r, c] = value
    return X
