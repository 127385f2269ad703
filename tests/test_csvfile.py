"""read_feature_csv: the header is decided by the training feature names (or forced), ';' files and
quoted numbers are read, and every bad cell is reported by file, line and column."""

import numpy as np
import pytest

from neurona.data.csvfile import read_feature_csv
from neurona.errors import ConfigError

NAMES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])


@pytest.mark.parametrize("text", [
    "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n",
    "sepal length,sepal width,petal length,petal width\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n",
    "Sepal Length (cm); Sepal Width (cm); Petal Length (cm); Petal Width (cm)\n5.1;3.5;1.4;0.2\n6.7;3.0;5.2;2.3\n",
    '"5.1","3.5","1.4","0.2"\n"6.7","3.0","5.2","2.3"\n',
    "\ufeff5.1, 3.5, 1.4, 0.2\n\n6.7, 3.0, 5.2, 2.3\n",
], ids=["plain", "header", "semicolons", "quoted", "bom-spaces-blank-line"])
def test_reads_the_rows_whatever_the_form(tmp_path, text):
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    np.testing.assert_array_equal(read_feature_csv(path, 4, NAMES), ROWS)


def test_a_numeric_first_line_is_never_a_header_and_header_can_be_forced(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("1,2,3,4\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    assert read_feature_csv(path, 4, NAMES).shape == (3, 4)
    np.testing.assert_array_equal(read_feature_csv(path, 4, NAMES, header=True), ROWS)
    path.write_text("f1,f2,f3,f4\n5.1,3.5,1.4,0.2\n")
    with pytest.raises(ConfigError, match=r"line 1, column 1 \(sepal length \(cm\)\): 'f1' is not a number"):
        read_feature_csv(path, 4, NAMES, header=False)


def test_bad_cells_are_named_by_line_and_column(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("5.1,3.5,1.4,0.2\n\n6.7,3.0,oops,2.3\n")
    with pytest.raises(ConfigError, match=r"x.csv, line 3, column 3 \(petal length \(cm\)\): 'oops'"):
        read_feature_csv(path, 4, NAMES)
