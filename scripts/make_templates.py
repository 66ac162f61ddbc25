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
    """The stem, then one residual block (ResBlock) used `blocks` times, then the classifier. Inside the block
    the skip is a straight wire along the top and the convolutions run on a lane below it."""
    inner = GraphBuilder()
    skip = h = inner.add("Input", name="x", shape=[channels, 8, 8], pos=(0, 0))
    for col, (layer, name) in enumerate([("Conv2d", "conv_a"), ("BatchNorm2d", "bn_a"), ("ReLU", "relu_a"),
                                         ("Conv2d", "conv_b"), ("BatchNorm2d", "bn_b")], start=1):
        conv = dict(out_channels=channels, padding=1, bias=False) if layer == "Conv2d" else {}
        h = inner.add(layer, h, name=name, pos=(col * DX, DY), **conv)
    h = inner.add("ReLU", inner.add("Add", skip, h, name="add", pos=(6 * DX, 0)), name="relu", pos=(7 * DX, 0))
    inner.add("Output", h, name="out", pos=(8 * DX, 0))
    b = GraphBuilder()
    b.define("ResBlock", inner, "A residual block: two 3x3 convolutions with BatchNorm, and the input added back"
             " before the last ReLU, so the block only learns a correction to its input")
    x = b.add("Input", name="image", shape=[1, 8, 8])
    h = b.add("Conv2d", x, name="stem", out_channels=channels, padding=1, bias=False)
    h = b.add("BatchNorm2d", h, name="stem_bn")
    h = b.add("ReLU", h, name="stem_relu")
    h = b.add("Block", h, name="blocks", block="ResBlock", repeat=blocks)
    h = b.add("GlobalAvgPool", h, name="pool")
    h = b.add("Linear", h, name="classes", out_features=10)
    b.add("Output", h, name="logits")
    return describe(
        rows(b.graph), "ResNet digits",
        f"A residual network: after a first convolution, the ResBlock block (used {blocks} times: double-click it"
        " to see inside) adds its input back to the output of two convolutions with BatchNorm (the skip wire"
        " along the top), so every block only learns a correction. Try opening the block and deleting its skip"
        " wire or the BatchNorms, or setting repeat to 3, and compare the gradients: every copy changes with it.",
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


def encoder_layer(d_model=32, heads=4, feedforward=64, dropout=0.1):
    """A pre-norm Transformer encoder layer built from its parts: attention, then a feed-forward network,
    each after a LayerNorm and added back to its input (the skips run along the top)."""
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=[8, d_model], pos=(0, 0))
    h = b.add("LayerNorm", x, name="norm1", pos=(DX, DY))
    h = b.add("MultiheadSelfAttention", h, name="attention", num_heads=heads, pos=(2 * DX, DY))
    h = b.add("Dropout", h, name="drop1", p=dropout, pos=(3 * DX, DY))
    mid = b.add("Add", x, h, name="add1", pos=(4 * DX, 0))
    h = b.add("LayerNorm", mid, name="norm2", pos=(5 * DX, DY))
    h = b.add("Linear", h, name="widen", out_features=feedforward, pos=(6 * DX, DY))
    h = b.add("ReLU", h, name="relu", pos=(7 * DX, DY))
    h = b.add("Linear", h, name="narrow", out_features=d_model, pos=(8 * DX, DY))
    h = b.add("Dropout", h, name="drop2", p=dropout, pos=(9 * DX, DY))
    b.add("Output", b.add("Add", mid, h, name="add2", pos=(10 * DX, 0)), name="out", pos=(11 * DX, 0))
    return b


def transformer_digits_rows(layers=2, d_model=32):
    b = GraphBuilder()
    b.define("EncoderLayer", encoder_layer(d_model), "A pre-norm Transformer encoder layer: self-attention,"
             " then a small feed-forward network, each after a LayerNorm and added back to its input")
    x = b.add("Input", name="rows", shape=[8, 8])
    h = b.add("Linear", x, name="embed", out_features=d_model)
    h = b.add("PositionalEncoding", h, name="positions")
    h = b.add("Block", h, name="encoders", block="EncoderLayer", repeat=layers)
    h = b.add("Permute", h, name="features_first", dims=[2, 1])
    h = b.add("GlobalAvgPool", h, name="mean_over_rows")
    b.add("Output", b.add("Linear", h, name="classes", out_features=10), name="logits")
    return describe(
        rows(b.graph, per_row=5), "Transformer digits, row by row",
        f"A Transformer encoder reads each digit as 8 rows: a Linear layer turns every row into a "
        f"{d_model}-number vector, PositionalEncoding marks which row is which, the EncoderLayer block (used"
        f" {layers} times: double-click it to see its attention, LayerNorms and feed-forward part) lets every"
        " row attend to every other, and the average over rows is classified. Try more heads inside the block,"
        " a learned positional encoding, or removing it to see how much the order matters.",
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
