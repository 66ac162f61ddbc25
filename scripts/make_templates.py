"""Write templates/*.json from the builder code below (run: python scripts/make_templates.py)."""
from pathlib import Path

from netbuilder import GraphBuilder

OUT = Path(__file__).resolve().parent.parent / "templates"


def mlp_digits():
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=[1, 8, 8])
    h = b.add("Flatten", x)
    h = b.add("ReLU", b.add("Linear", h, out_features=64, name="hidden"))
    b.add("Output", b.add("Linear", h, out_features=10, name="classes"), name="logits")
    b.graph.meta.update(name="MLP digits", description="A two-layer perceptron that reads 8x8 digits.")
    return b.graph


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
    b.graph.meta.update(name="CNN digits",
                        description="A small LeNet-style CNN for the built-in 8x8 digits.")
    return b.graph


def rows(graph, per_row=4, dx=260.0, dy=130.0):
    """Lay a chain out like text: left to right, row after row, so it fits on screen."""
    for i, node in enumerate(graph.nodes()):
        node.pos = ((i % per_row) * dx, (i // per_row) * dy)
    return graph


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for make in (mlp_digits, cnn_digits):
        path = OUT / f"{make.__name__}.json"
        rows(make()).save(path)
        print("wrote", path)
