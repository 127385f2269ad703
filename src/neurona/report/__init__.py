"""Figures for runs and reports: matplotlib, no pyplot state, each saved atomically when given a path.

from neurona import report
report.learning_curves(history, path="runs/mlp/curves.png")
report.confusion_matrix_figure(y_true, y_pred, display_labels=names, normalize="true")
html_img = f'<img src="{report.figure_to_data_uri(fig)}">'
"""

from neurona.report.classifier import confusion_matrix_figure, decision_boundary, roc_figure
from neurona.report.figures import (
    figure_to_data_uri,
    figure_to_png_bytes,
    histograms,
    image_grid,
    learning_curves,
    line_figure,
    regression_figure,
    save_figure,
)
from neurona.report.html import HtmlReport

__all__ = [
    "HtmlReport",
    "confusion_matrix_figure",
    "decision_boundary",
    "figure_to_data_uri",
    "figure_to_png_bytes",
    "histograms",
    "image_grid",
    "learning_curves",
    "line_figure",
    "regression_figure",
    "roc_figure",
    "save_figure",
]
