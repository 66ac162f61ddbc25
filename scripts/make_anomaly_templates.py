"""Write the anomaly-detection template to templates/anomaly_digits.json from the builder code below.

Run: .venv/bin/python scripts/make_anomaly_templates.py
Its bar is checked by tests/templates/test_anomaly_template.py; bench/bench_anomaly.py measures it on every digit.
"""
from pathlib import Path

from netbuilder import GraphBuilder

OUT = Path(__file__).resolve().parent.parent / "templates"
DX, DY = 260.0, 150.0

STORY = (
    "Anomaly detection: this convolutional autoencoder only ever sees the digit 0 (the Data panel's anomaly"
    " protocol: one_class, class 0). It learns to squeeze a zero through 16 numbers and rebuild it, so it"
    " rebuilds zeros well and every other digit badly: the reconstruction error of a sample is its anomaly"
    " score. Validation and test keep all ten digits, labelled normal (0) or anomaly (the rest). After"
    " training, open the run's Anomaly view: the histograms show the errors of normal and anomalous test"
    " digits, the ROC curve how well the score separates them at every threshold (its area, the AUC: 1.0 is"
    " perfect, 0.5 is chance). The threshold is chosen on validation, where the error that gives the best F1"
    " between precision (of the flagged digits, the share that really are anomalies) and recall (of the"
    " anomalies, the share flagged) is kept; a digit whose error is at least the threshold is flagged. Raise"
    " it and fewer normal zeros are flagged but more anomalies slip through. Try another class, or the"
    " held_out protocol (one digit is the anomaly): a 1 is so easy to rebuild that it hides among the"
    " normal digits.")

SVDD_STORY = (
    "Deep SVDD (Ruff et al., 2018), a second anomaly scorer beside the autoencoder: the same convolutional"
    " encoder, trained on the digit 0 alone, learns to map every zero as close as it can to one point, the"
    " centre, fixed after a first pass over the training zeros. The further a digit lands from the centre, the"
    " more unusual it is: the distance is its anomaly score, judged in the run's Anomaly view like the"
    " autoencoder's error (ROC AUC, a threshold chosen on validation by the best F1). No layer has a bias:"
    " with one the network could send every digit, zero or not, onto the centre and learn nothing (the"
    " Problems panel says so, with the fix). Try it beside the autoencoder: compare their ROC AUC on the same digit.")


def anomaly_digits():
    b = GraphBuilder()
    h = b.add("Input", name="image", shape=[1, 8, 8])
    h = b.add("ReLU", b.add("Conv2d", h, name="conv1", out_channels=16, kernel_size=3, padding=1))
    h = b.add("MaxPool2d", h, name="pool1", kernel_size=2, stride=2)
    h = b.add("ReLU", b.add("Conv2d", h, name="conv2", out_channels=32, kernel_size=3, padding=1))
    h = b.add("MaxPool2d", h, name="pool2", kernel_size=2, stride=2)
    z = b.add("Linear", b.add("Flatten", h), name="bottleneck", out_features=16)
    h = b.add("ReLU", b.add("Linear", z, name="decoder", out_features=32 * 2 * 2))
    h = b.add("Reshape", h, name="unflatten", shape=[32, 2, 2])
    h = b.add("ReLU", b.add("ConvTranspose2d", h, name="up1", out_channels=16, kernel_size=4, stride=2, padding=1))
    h = b.add("ConvTranspose2d", h, name="up2", out_channels=1, kernel_size=4, stride=2, padding=1)
    b.add("Output", b.add("Sigmoid", h), name="reconstruction")
    b.graph.meta.update(
        name="Anomaly detection digits",
        description=STORY,
        data={"source": "digits", "anomaly": {"protocol": "one_class", "class": 0}},
        training={"recipe": "reconstruction", "loss": "mse", "optimizer": "adam", "lr": 0.003,
                  "batch_size": 16, "epochs": 60, "seed": 0},
        quality={"metric": "roc_auc", "at_least": 0.95, "epochs": 60,
                 "note": "trained on the zeros alone, its reconstruction error tells them from the other digits"
                         " with a test ROC AUC of at least 0.95; over the ten digits, each in turn the normal"
                         " class, the mean is measured by bench/bench_anomaly.py (README)"})
    return b.graph


def deep_svdd_digits():
    """The autoencoder's encoder without biases, trained by Deep SVDD on the same protocol."""
    b = GraphBuilder()
    h = b.add("Input", name="image", shape=[1, 8, 8])
    h = b.add("LeakyReLU", b.add("Conv2d", h, name="conv1", out_channels=16, kernel_size=3, padding=1, bias=False))
    h = b.add("MaxPool2d", h, name="pool1", kernel_size=2, stride=2)
    h = b.add("LeakyReLU", b.add("Conv2d", h, name="conv2", out_channels=32, kernel_size=3, padding=1, bias=False))
    h = b.add("MaxPool2d", h, name="pool2", kernel_size=2, stride=2)
    h = b.add("Linear", b.add("Flatten", h), name="features", out_features=16, bias=False)
    b.add("Output", h, name="point")
    b.graph.meta.update(
        name="Deep SVDD digits",
        description=SVDD_STORY,
        data={"source": "digits", "anomaly": {"protocol": "one_class", "class": 0}},
        training={"recipe": "deep_svdd", "optimizer": "adam", "lr": 0.0001, "weight_decay": 1e-5,
                  "batch_size": 16, "epochs": 60, "seed": 0},
        quality={"metric": "roc_auc", "at_least": 0.95, "epochs": 60,
                 "note": "trained on the zeros alone, its distance from the centre tells them from the other digits"
                         " with a test ROC AUC of at least 0.95; bench/bench_anomaly.py compares it with the"
                         " autoencoder on every digit (README)"})
    return b.graph


def rows(graph):
    """Encoder on the first row, decoder (from the Linear named "decoder") on the second."""
    row, col = 0, 0
    for node in graph.nodes():
        if node.name == "decoder":
            row, col = row + 1, 0
        node.pos = (col * DX, row * DY)
        col += 1
    return graph


TEMPLATES = (anomaly_digits, deep_svdd_digits)

if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for make in TEMPLATES:
        path = OUT / f"{make.__name__}.json"
        rows(make()).save(path)
        print("wrote", path)
