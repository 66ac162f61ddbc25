"""Write templates/*.json from the builder code below (run: python scripts/make_templates.py).

Each template's meta holds its name, a description for a learner, the dataset it trains on
("data", a DataSpec), the training settings that reach its quality bar ("training", TrainConfig
fields) and the bar itself ("quality"); tests/templates checks that every bar is reached.
"""
from pathlib import Path

from netbuilder import GraphBuilder
from netbuilder.data.dataset import DataSpec
from netbuilder.train.config import TrainConfig

OUT = Path(__file__).resolve().parent.parent / "templates"
DX, DY = 260.0, 130.0  # columns and rows of the layouts (a node is 170 wide)


def describe(graph, name, description, data, training, quality):
    """Fill the meta every template carries; `training` holds the TrainConfig fields that differ
    from the defaults, `quality` the bar {"metric", "at_least" or "at_most", "epochs", "note"}."""
    assert not TrainConfig.from_dict(training).problems() and not DataSpec(**data).problems()
    assert quality["epochs"] == training["epochs"]
    graph.meta.update(name=name, description=description, data=DataSpec(**data).to_dict(),
                      training=dict(training), quality=dict(quality))
    return graph


def rows(graph, per_row=4, dx=DX, dy=DY):
    """Lay a chain out like text: left to right, row after row, so it fits on screen."""
    for i, node in enumerate(graph.nodes()):
        node.pos = ((i % per_row) * dx, (i // per_row) * dy)
    return graph


def mlp_digits():
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=[1, 8, 8])
    h = b.add("Flatten", x)
    h = b.add("ReLU", b.add("Linear", h, out_features=64, name="hidden"))
    b.add("Output", b.add("Linear", h, out_features=10, name="classes"), name="logits")
    return describe(
        rows(b.graph), "MLP digits",
        "A two-layer perceptron: each 8x8 digit is flattened to 64 numbers, one hidden layer of 64 "
        "units mixes them and the last layer scores the 10 classes. Try a wider or a second hidden "
        "layer, or swap ReLU for Sigmoid and watch the gradients.",
        dict(source="digits"),
        dict(optimizer="adam", lr=0.003, batch_size=32, epochs=10, loss="cross_entropy"),
        dict(metric="val_acc", at_least=0.93, epochs=10,
             note="reaches about 0.97 validation accuracy in 10 epochs (a second on a 2-core CPU)"))


def cnn_digits():
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=[1, 8, 8])
    h = b.add("ReLU", b.add("Conv2d", x, name="conv1", out_channels=16, padding=1))
    h = b.add("MaxPool2d", h, name="pool1")
    h = b.add("ReLU", b.add("Conv2d", h, name="conv2", out_channels=32, padding=1))
    h = b.add("MaxPool2d", h, name="pool2")
    h = b.add("Flatten", h)
    h = b.add("ReLU", b.add("Linear", h, name="fc1", out_features=64))
    b.add("Output", b.add("Linear", h, name="fc2", out_features=10), name="logits")
    return describe(
        rows(b.graph), "CNN digits",
        "A small LeNet-style convolutional network: two convolution and pooling stages find strokes "
        "and shapes in the 8x8 digits, then two Linear layers classify them. Try more channels, "
        "a Dropout before fc1, or removing a pooling layer and see the shapes change.",
        dict(source="digits"),
        dict(optimizer="adam", lr=0.003, batch_size=32, epochs=10, loss="cross_entropy"),
        dict(metric="val_acc", at_least=0.93, epochs=10,
             note="reaches about 0.97 validation accuracy in 10 epochs (a second on a 2-core CPU)"))


def resnet_digits(blocks=2, channels=32):
    """One row per residual block: the block's input on the left, its Add on the right, the skip
    a straight wire along the top and the convolutions on a lane below it."""
    b = GraphBuilder()

    def at(col, row, lane=0):
        return (col * DX, row * 2.4 * DY + lane * DY)

    x = b.add("Input", name="image", shape=[1, 8, 8], pos=at(0, 0))
    h = b.add("Conv2d", x, name="stem", out_channels=channels, padding=1, bias=False, pos=at(1, 0))
    h = b.add("BatchNorm2d", h, name="stem_bn", pos=at(2, 0))
    h = b.add("ReLU", h, name="stem_relu", pos=at(0, 1))
    for k in range(1, blocks + 1):
        skip = h
        for col, (layer, name) in enumerate([("Conv2d", "conv_a"), ("BatchNorm2d", "bn_a"), ("ReLU", "relu_a"),
                                             ("Conv2d", "conv_b"), ("BatchNorm2d", "bn_b")], start=1):
            conv = dict(out_channels=channels, padding=1, bias=False) if layer == "Conv2d" else {}
            h = b.add(layer, h, name=f"block{k}_{name}", pos=at(col, k, lane=1), **conv)
        h = b.add("Add", skip, h, name=f"block{k}_add", pos=at(6, k))
        h = b.add("ReLU", h, name=f"block{k}_relu", pos=at(0, k + 1))
    h = b.add("GlobalAvgPool", h, name="pool", pos=at(1, blocks + 1))
    h = b.add("Linear", h, name="classes", out_features=10, pos=at(2, blocks + 1))
    b.add("Output", h, name="logits", pos=at(3, blocks + 1))
    return describe(
        b.graph, "ResNet digits",
        f"A residual network: after a first convolution, {blocks} residual blocks each add their input "
        "back to the output of two convolutions with BatchNorm (the skip wire along the top of each "
        "row), so every block only learns a correction. Try deleting a skip wire, or the BatchNorms, "
        "or adding a third block, and compare the gradients.",
        dict(source="digits"),
        dict(optimizer="adam", lr=0.003, batch_size=32, epochs=6, schedule="cosine", loss="cross_entropy"),
        dict(metric="val_acc", at_least=0.97, epochs=6,
             note="reaches about 0.99 validation accuracy in 6 epochs (a few seconds on a 2-core CPU)"))


def lstm_digits_rows():
    b = GraphBuilder()
    x = b.add("Input", name="rows", shape=[8, 8])
    h = b.add("Recurrent", x, name="recurrent", cell="LSTM", hidden_size=64, returns="last")
    b.add("Output", b.add("Linear", h, name="classes", out_features=10), name="logits")
    return describe(
        rows(b.graph), "LSTM digits, row by row",
        "An LSTM reads each 8x8 digit as a sequence of 8 rows, one row per step, and its last hidden "
        "state is classified by a Linear layer. Switch the recurrent layer's cell to GRU or RNN in "
        "the inspector and compare, or make it bidirectional.",
        dict(source="digits_rows"),
        dict(optimizer="adam", lr=0.01, batch_size=32, epochs=12, schedule="cosine", loss="cross_entropy"),
        dict(metric="val_acc", at_least=0.93, epochs=12,
             note="reaches about 0.98 validation accuracy in 12 epochs (a few seconds on a 2-core CPU)"))


def gru_sine_forecast():
    b = GraphBuilder()
    x = b.add("Input", name="series", shape=[30, 1])
    h = b.add("Recurrent", x, name="recurrent", cell="GRU", hidden_size=32, returns="last")
    b.add("Output", b.add("Linear", h, name="next_value", out_features=1), name="forecast")
    return describe(
        rows(b.graph), "GRU sine forecast",
        "A GRU reads 30 steps of a noisy sine wave and a Linear layer predicts the next value: "
        "regression with the mean squared error. Switch the cell to RNN or LSTM, change hidden_size, "
        "or make the series longer in the Data panel.",
        dict(source="sine_forecast", options=dict(n=1000, noise=0.05, steps=30)),
        dict(optimizer="adam", lr=0.02, batch_size=32, epochs=15, schedule="cosine", loss="mse"),
        dict(metric="val_loss", at_most=0.01, epochs=15,
             note="reaches a validation loss of about 0.006 in 15 epochs (a few seconds on a 2-core CPU;"
                  " the noise alone costs 0.0025)"))


def transformer_digits_rows(layers=2, d_model=32):
    b = GraphBuilder()
    x = b.add("Input", name="rows", shape=[8, 8])
    h = b.add("Linear", x, name="embed", out_features=d_model)
    h = b.add("PositionalEncoding", h, name="positions")
    for k in range(1, layers + 1):
        h = b.add("TransformerEncoderLayer", h, name=f"encoder{k}", nhead=4, dim_feedforward=64, dropout=0.1)
    h = b.add("Permute", h, name="features_first", dims=[2, 1])
    h = b.add("GlobalAvgPool", h, name="mean_over_rows")
    b.add("Output", b.add("Linear", h, name="classes", out_features=10), name="logits")
    return describe(
        rows(b.graph, per_row=5), "Transformer digits, row by row",
        f"A Transformer encoder reads each digit as 8 rows: a Linear layer turns every row into a "
        f"{d_model}-number vector, PositionalEncoding marks which row is which, {layers} encoder layers "
        "let every row attend to every other, and the average over rows is classified. Try more heads, "
        "a learned positional encoding, or removing it to see how much the order matters.",
        dict(source="digits_rows"),
        dict(optimizer="adam", lr=0.005, batch_size=32, epochs=10, schedule="cosine", loss="cross_entropy"),
        dict(metric="val_acc", at_least=0.93, epochs=10,
             note="reaches about 0.97 validation accuracy in 10 epochs (a few seconds on a 2-core CPU)"))


TEMPLATES = (mlp_digits, cnn_digits, resnet_digits, lstm_digits_rows, gru_sine_forecast, transformer_digits_rows)

if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for make in TEMPLATES:
        path = OUT / f"{make.__name__}.json"
        make().save(path)
        print("wrote", path)
