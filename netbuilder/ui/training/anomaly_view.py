"""The Anomaly tab: a run of a recipe that gives anomaly scores (an autoencoder, a VAE, Deep SVDD), judged on
its test samples (insight/anomaly.py, computed off the window's thread): the histograms of the scores of normal
and anomalous samples with the threshold chosen on validation, the ROC curve with its AUC and the point of the
threshold, precision and recall there, and the worst-scored test samples beside their reconstructions."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...insight.anomaly import WORST, AnomalyEvaluation, evaluate_run, scorers
from ...train.recipes import recipes
from .. import theme
from ..background import Background
from .curves import scrolled, style
from .evaluation_view import as_images, to_pixmap

PLACEHOLDER = ("Train a run of a recipe that scores anomalies ({}): the scores of its test samples, the"
               " threshold and the ROC curve appear here when it ends.")
NORMAL, ANOMALY = (38, 139, 210), (220, 50, 47)
COLUMNS = 8
PLOT_HEIGHT = 260


class AnomalyView(QWidget):
    def __init__(self):
        super().__init__()
        self.setObjectName("anomaly")
        self.background = Background(self)
        self.evaluation: AnomalyEvaluation | None = None
        self._key = None  # (run id, checkpoint time) of what is shown or on its way
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.score_choice = QComboBox()
        self.score_choice.setToolTip("Which of the run's scores to judge (a VAE gives two)")
        self.score_choice.currentTextChanged.connect(lambda _: self.draw())
        self.summary = QLabel()
        self.summary.setObjectName("anomaly_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.histogram = pg.PlotWidget(title="scores of the test samples")
        self.histogram.addLegend(offset=(-10, 10))
        self.roc = pg.PlotWidget(title="ROC curve")
        for plot in (self.histogram, self.roc):
            plot.setMinimumWidth(280)
            plot.setFixedHeight(PLOT_HEIGHT)  # the worst samples below stay in sight
            plot.setMenuEnabled(False)
            plot.hideButtons()
        self.histogram.setLabel("left", "samples")
        self.roc.setLabel("bottom", "false positive rate (normal samples flagged)")
        self.roc.setLabel("left", "true positive rate (recall)")
        self.roc.setXRange(0, 1)
        self.roc.setYRange(0, 1)
        self.worst_note = QLabel()
        self.worst_note.setWordWrap(True)
        self.grid = QGridLayout()
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.pictures: list[QLabel] = []
        top = QHBoxLayout()
        top.addWidget(QLabel("Score:"))
        top.addWidget(self.score_choice)
        top.addStretch(1)
        plots = QHBoxLayout()
        plots.addWidget(self.histogram, 3)
        plots.addWidget(self.roc, 2)
        self.body = QWidget()
        column = QVBoxLayout(self.body)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self.summary)
        column.addLayout(plots)
        column.addWidget(self.worst_note)
        column.addLayout(self.grid)
        column.addStretch(1)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.message)
        layout.addWidget(self.body, 1)
        scrolled(self, content)
        self.clear()

    # ---- what it shows ---------------------------------------------------------------------------
    def clear(self, text: str | None = None) -> None:
        self.evaluation = None
        self.message.setText(text or PLACEHOLDER.format(", ".join(scorers())))
        self.message.show()
        self.body.hide()

    def show_run(self, state) -> None:
        """Judge this run (a RunState) once it has ended, unless it is what is shown already."""
        run = state.run if state is not None else None
        if run is None or state.running:
            self._key = None
            self.clear("The anomaly scores appear here when the run ends." if run is not None else None)
            return
        cls = recipes().get(run.recipe)
        if cls is None or not cls.scores:
            self._key = None
            self.clear(f"This run's recipe ({run.recipe}) gives no anomaly score: the Anomaly tab judges runs of"
                       f" the {', '.join(scorers())} recipes.")
            return
        weights = run.weights()
        key = (run.id, weights.stat().st_mtime if weights else None)
        if key == self._key:
            return
        self._key = key
        self.clear(f"Scoring the test samples of {run.name}…")
        self.background.submit(lambda: evaluate_run(run), lambda found: self._shown(key, found),
                               lambda message: self._failed(key, message))

    def _failed(self, key, message: str) -> None:
        if key == self._key:
            self.clear(f"The run could not be scored: {message}")

    def _shown(self, key, evaluation: AnomalyEvaluation) -> None:
        if key != self._key:
            return
        self.evaluation = evaluation
        self.score_choice.blockSignals(True)
        self.score_choice.clear()
        self.score_choice.addItems(list(evaluation.reports))
        self.score_choice.blockSignals(False)
        self.score_choice.setEnabled(len(evaluation.reports) > 1)
        self.message.hide()
        self.body.show()
        self.draw()

    def draw(self) -> None:
        if self.evaluation is None:
            return
        found = self.evaluation.reports.get(self.score_choice.currentText()) or self.evaluation.main
        self.summary.setText(summary(found))
        self._draw_histogram(found)
        self._draw_roc(found)
        self._draw_worst(found)

    def _draw_histogram(self, found) -> None:
        plot = self.histogram
        plot.clear()
        scores, labels = found.test_scores, found.test_labels
        edges = np.histogram_bin_edges(np.r_[scores, found.threshold.value], bins=40)
        groups = [("all test samples", scores, NORMAL)] if labels is None else [
            ("normal", scores[labels == 0], NORMAL), ("anomaly", scores[labels == 1], ANOMALY)]
        for name, values, color in groups:
            counts, _ = np.histogram(values, bins=edges)
            plot.plot(edges, counts, stepMode="center", fillLevel=0, brush=(*color, 90), pen=pg.mkPen(color, width=2),
                      name=f"{name} ({len(values)})")
        line = pg.InfiniteLine(found.threshold.value, angle=90, pen=pg.mkPen(theme.text_color(), width=2,
                                                                             style=Qt.PenStyle.DashLine))
        plot.addItem(line)
        plot.setLabel("bottom", f"{found.score} (dashed: the threshold; at or above it a sample is flagged)")
        style(plot)

    def _draw_roc(self, found) -> None:
        plot = self.roc
        plot.clear()
        if found.auc is None:
            plot.setTitle("ROC curve: needs test samples labelled normal and anomaly (an anomaly protocol)")
            style(plot)
            return
        plot.plot([0, 1], [0, 1], pen=pg.mkPen((150, 150, 150), style=Qt.PenStyle.DotLine))
        plot.plot(found.fpr, found.tpr, pen=pg.mkPen(ANOMALY, width=2))
        normal = found.test_labels == 0
        point = (float((found.flagged & normal).sum() / max(1, normal.sum())), found.recall)
        plot.plot([point[0]], [point[1]], pen=None, symbol="o", symbolBrush=theme.text_color(), symbolSize=9)
        plot.setTitle(f"ROC curve: AUC {found.auc:.3f} (the dot: the threshold)")
        style(plot)

    def _draw_worst(self, found) -> None:
        for label in self.pictures:
            self.grid.removeWidget(label)
            label.deleteLater()
        self.pictures = []
        indices = found.worst(WORST)
        inputs = self.evaluation.test_inputs[0][indices]
        originals = as_images(self.evaluation.prepared.shown(inputs.reshape(-1, *self.evaluation.prepared.sample_shape)))
        made = self.evaluation.reconstructions(indices)
        rebuilt = as_images(self.evaluation.prepared.shown(made.reshape(-1, *self.evaluation.prepared.sample_shape))) \
            if made is not None else None
        if originals is None:
            self.worst_note.setText("The highest-scored test samples are not pictures: see their scores with"
                                    " netbuilder evaluate --anomaly")
            return
        classes = self.evaluation.test_classes()
        self.worst_note.setText(f"The {len(indices)} highest-scored test samples"
                                + (", each above its reconstruction:" if rebuilt is not None else ":"))
        for k, i in enumerate(indices):
            row, col = divmod(k, COLUMNS)
            caption = (f"class {classes[1][classes[0][i]]}\n" if classes else "") + f"{found.test_scores[i]:.3g}"
            cells = [(to_pixmap(originals[k]), caption)]
            if rebuilt is not None:
                cells.append((to_pixmap(rebuilt[k]), "rebuilt"))
            for j, (pixmap, text) in enumerate(cells):
                picture = QLabel()
                picture.setPixmap(pixmap)
                picture.setToolTip(text.replace("\n", ", "))
                words = QLabel(text)
                words.setAlignment(Qt.AlignmentFlag.AlignHCenter)
                base = row * (2 * len(cells))
                self.grid.addWidget(picture, base + 2 * j, col, Qt.AlignmentFlag.AlignHCenter)
                self.grid.addWidget(words, base + 2 * j + 1, col, Qt.AlignmentFlag.AlignHCenter)
                self.pictures += [picture, words]


def summary(found) -> str:
    """The figures in a few lines: the threshold and how it was chosen, AUC, precision and recall."""
    text = f"Threshold {found.threshold.value:.4g}: {found.threshold.rule}."
    if found.auc is not None:
        text += (f"\nTest: ROC AUC {found.auc:.3f}; at the threshold, precision {found.precision:.3f} (of the"
                 f" flagged samples, the share that are anomalies), recall {found.recall:.3f} (of the anomalies,"
                 f" the share flagged); {int(found.flagged.sum())} of {len(found.test_scores)} flagged.")
    else:
        text += f"\n{int(found.flagged.sum())} of {len(found.test_scores)} test samples flagged."
    return text
