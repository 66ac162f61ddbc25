"""Write templates/transfer_lesson.json: a lesson in two steps (run: python scripts/make_transfer_lesson.py).

Step 1 (the template itself): a small CNN learns the digits 0 to 4. Step 2 (kept in its meta["lesson"]["next"],
made from a finished step-1 run by "Start the Lesson's Next Step" in the run list): three copies of the CNN
learn the digits 5 to 9 from 20 labels each, side by side on the same batches (the compare recipe): the
transferred convolutional layers frozen under a new head, the same fine-tuned with a tenth of the learning
rate, and the same architecture from scratch."""
from pathlib import Path

from netbuilder import GraphBuilder
from netbuilder.data.dataset import DataSpec
from netbuilder.graph.io import dumps
from netbuilder.graph.layout import layered_positions

import json

OUT = Path(__file__).resolve().parent.parent / "templates" / "transfer_lesson.json"
CONVS = ("conv1", "conv2")
LABELS = 20  # per class in step 2
STEPS = ["Train the CNN on the digits 0 to 4 (press Train): its convolutional layers learn strokes and shapes.",
         "In the run list, right-click the finished run and choose Start the Lesson's Next Step: three copies of"
         " the CNN learn the digits 5 to 9 from 20 labels each, side by side. Press Train and compare the curves."]


def cnn(b: GraphBuilder, prefix: str = "", output: str = "logits", frozen: bool = False, lr_scale: float = 1.0):
    """The LeNet-style CNN of cnn_digits; its convolutions frozen or slowed when asked."""
    conv = dict(padding=1, trainable=not frozen, lr_scale=lr_scale)
    h = b.add("Input", name=f"{prefix}image", shape=[1, 8, 8])
    h = b.add("ReLU", b.add("Conv2d", h, name=f"{prefix}conv1", out_channels=16, **conv), name=f"{prefix}relu1")
    h = b.add("MaxPool2d", h, name=f"{prefix}pool1")
    h = b.add("ReLU", b.add("Conv2d", h, name=f"{prefix}conv2", out_channels=32, **conv), name=f"{prefix}relu2")
    h = b.add("Flatten", b.add("MaxPool2d", h, name=f"{prefix}pool2"), name=f"{prefix}flatten")
    h = b.add("ReLU", b.add("Linear", h, name=f"{prefix}fc1", out_features=64), name=f"{prefix}relu3")
    b.add("Output", b.add("Linear", h, name=f"{prefix}fc2", out_features=5), name=output)


def laid_out(graph):
    for node_id, pos in layered_positions(graph).items():
        graph.node(node_id).pos = pos
    return graph


def step_two():
    b = GraphBuilder()
    cnn(b, "frozen_", "transferred_frozen", frozen=True)
    cnn(b, "tuned_", "fine_tuned", lr_scale=0.1)
    cnn(b, "scratch_", "from_scratch")
    graph = laid_out(b.graph)
    graph.meta.update(
        name="Transfer learning, step 2: digits 5 to 9 from 20 labels each",
        description="Three copies of the CNN learn the digits 5 to 9 from only 20 labelled samples of each, on the"
                    " same batches. transferred_frozen keeps the convolutional layers step 1 trained (frozen,"
                    " drawn with a dashed frame) and learns a new head; fine_tuned starts from the same layers"
                    " and goes on adjusting them with a tenth of the learning rate (their lr scale); from_scratch"
                    " starts from random weights. The transferred layers already see strokes and shapes, so only"
                    " the head has to learn which combination is which digit, while the network from scratch must"
                    " learn both at once. Watch the validation curves: on these small 8x8 digits that is not much"
                    " of a head start. The network from scratch learns the strokes from 100 labels too and ends"
                    " level with the transferred ones or ahead (about 93% to 96%), and the frozen layers, tuned"
                    " for 0 to 4, can even hold it back. Transfer pays where labels are scarcer or the pictures"
                    " richer: set labels per class to 5 in the Data panel, or compare on MNIST, where Keras'"
                    " example keeps a clear lead.",
        data=DataSpec(classes=[5, 6, 7, 8, 9], labels_per_class=LABELS).to_dict(),
        training={"recipe": "compare", "optimizer": "adam", "lr": 0.003, "batch_size": 20, "epochs": 30},
        lesson={"step": 2, "steps": STEPS,
                "start": {f"{p}{c}": c for p in ("frozen_", "tuned_") for c in CONVS}},
        quality={"metric": "val_accuracy", "note": "on the 8x8 digits the three end about level after 30 epochs"
                 " (0.88 to 0.98 validation accuracy over seeds); the one from scratch is not beaten by 10 points"})
    return graph


def lesson():
    b = GraphBuilder()
    cnn(b)
    graph = b.graph
    for i, node in enumerate(graph.nodes()):  # like text, four layers a row, as cnn_digits
        node.pos = ((i % 4) * 260.0, (i // 4) * 130.0)
    graph.meta.update(
        name="Transfer learning: a lesson in two steps",
        description="Step 1: this CNN learns the digits 0 to 4. Step 2 reuses what it learned for the digits 5"
                    " to 9 with only 20 labels each: in the run list, right-click the finished run and choose"
                    " Start the Lesson's Next Step. Three networks then train side by side: the transferred"
                    " convolutional layers frozen under a new head, the same fine-tuned with a lower learning"
                    " rate, and the same network from scratch. Try fewer labels (the Data panel's labels per class)"
                    " and watch which network holds up.",
        data=DataSpec(classes=[0, 1, 2, 3, 4]).to_dict(),
        training={"optimizer": "adam", "lr": 0.003, "batch_size": 32, "epochs": 10},
        lesson={"step": 1, "steps": STEPS, "next": json.loads(dumps(step_two()))},
        quality={"metric": "val_acc", "at_least": 0.95, "epochs": 10,
                 "note": "step 1 reaches about 0.99 validation accuracy on the digits 0 to 4"})
    return graph


if __name__ == "__main__":
    lesson().save(OUT)
    print("wrote", OUT)
