"""Write templates/transfer_lesson.json: a lesson in two steps (run: python scripts/make_transfer_lesson.py).

Step 1 (the template itself): a small CNN learns the digits 0 to 4. Step 2 (kept in its meta["lesson"]["next"],
made from a finished step-1 run by "Start the Lesson's Next Step" in the run list): three copies of the CNN
learn the digits 5 to 9 from 20 labels each, side by side on the same batches (the compare recipe): the
transferred convolutional layers frozen under a new head, the same fine-tuned with a tenth of the learning
rate, and the same architecture from scratch.

Both steps train on seed 2 (SEED). Over seeds 0-7 (scripts/measure_transfer_lesson.py) issue 23's bar (the
transferred networks beat the one from scratch by 10 points) is met on seven: seed 0 falls short (frozen +6.7),
since training takes torch's fused optimizer step (before it, seed 1 did, +7.7: which seed is short moves with
float rounding; the spread is the lesson's, about 7 points). Seed 2 is near the mean of the eight (+14.8 and
+21.5 against +15.0 and +20.2)."""
from pathlib import Path

from netbuilder import GraphBuilder
from netbuilder.data.dataset import DataSpec
from netbuilder.graph.io import dumps
from netbuilder.graph.layout import layered_positions

import json

OUT = Path(__file__).resolve().parent.parent / "templates" / "transfer_lesson.json"
CONVS = ("conv1", "conv2", "conv3")
SOURCE, SIZE = "scattered_digits", 28  # its canvas, 28x28
LABELS = 20  # per class in step 2
SEED = 2  # the data's and the training's, both steps: over seeds 0-7 the bar is met on all but seed 0 (module docstring)
STEPS = ["Train the CNN on the digits 0 to 4 (press Train): its convolutional layers learn strokes and shapes.",
         "In the run list, right-click the finished run and choose Start the Lesson's Next Step: three copies of"
         " the CNN learn the digits 5 to 9 from 20 labels each, side by side. Press Train and compare the curves."]


def cnn(b: GraphBuilder, prefix: str = "", output: str = "logits", frozen: bool = False, lr_scale: float = 1.0):
    """Three convolutions, then the largest response of each of their 64 channels anywhere in the picture (a
    global max pool: where the digit stands does not matter), then a head of two Linear layers; the
    convolutions frozen or slowed when asked."""
    conv = dict(padding=1, trainable=not frozen, lr_scale=lr_scale)
    h = b.add("Input", name=f"{prefix}image", shape=[1, SIZE, SIZE])
    h = b.add("ReLU", b.add("Conv2d", h, name=f"{prefix}conv1", out_channels=16, **conv), name=f"{prefix}relu1")
    h = b.add("MaxPool2d", h, name=f"{prefix}pool1")
    h = b.add("ReLU", b.add("Conv2d", h, name=f"{prefix}conv2", out_channels=32, **conv), name=f"{prefix}relu2")
    h = b.add("MaxPool2d", h, name=f"{prefix}pool2")
    h = b.add("ReLU", b.add("Conv2d", h, name=f"{prefix}conv3", out_channels=64, **conv), name=f"{prefix}relu3")
    h = b.add("Flatten", b.add("AdaptiveMaxPool2d", h, name=f"{prefix}anywhere"), name=f"{prefix}flatten")
    h = b.add("ReLU", b.add("Linear", h, name=f"{prefix}fc1", out_features=64), name=f"{prefix}relu4")
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
        description="Three copies of the CNN learn the digits 5 to 9 of the scattered digits from only 20 labelled"
                    " pictures of each, on the same batches. transferred_frozen keeps the three convolutional"
                    " layers step 1 trained (frozen, drawn with a dashed frame) and learns a new head; fine_tuned"
                    " starts from the same layers and goes on adjusting them with a tenth of the learning rate"
                    " (their lr scale); from_scratch starts from random weights. Watch the curves. The training"
                    " loss of from_scratch falls to almost nothing: it learns its 100 pictures by heart, stray"
                    " strokes and noise included, and its validation accuracy stops at 40% to 60% (how far depends"
                    " much on which 20 pictures of each digit it got). The"
                    " transferred layers learned to find strokes and shapes anywhere on the canvas, and to pass over"
                    " the clutter, from thousands of pictures of 0 to 4, so their head only has to learn which"
                    " combination makes which digit: their validation accuracy climbs within a few epochs and ends"
                    " well above it: over eight seeds the frozen one by 7 to 30 points (15.0 on average), the"
                    " fine-tuned one by 11 to 37 (20.2). Try 5 or 100 labels per class in the Data panel and watch the gap.",
        data=DataSpec(source=SOURCE, classes=[5, 6, 7, 8, 9], labels_per_class=LABELS, seed=SEED).to_dict(),
        training={"recipe": "compare", "optimizer": "adam", "lr": 0.003, "batch_size": 20, "epochs": 30, "seed": SEED},
        lesson={"step": 2, "steps": STEPS,
                "start": {f"{p}{c}": c for p in ("frozen_", "tuned_") for c in CONVS}},
        quality={"metric": "val_accuracy", "note": "after 30 epochs the transferred networks beat the one from"
                 " scratch by 15.0 (frozen) and 20.2 (fine-tuned) points of validation accuracy on average over seeds"
                 " 0 to 7 (frozen 6.7 to 29.5, fine-tuned 11.2 to 36.5; scripts/measure_transfer_lesson.py); on"
                 " this seed, 2, by 14.8 and 21.5"})
    return graph


def lesson():
    b = GraphBuilder()
    cnn(b)
    graph = b.graph
    for i, node in enumerate(graph.nodes()):  # like text, four layers a row, as cnn_digits
        node.pos = ((i % 4) * 260.0, (i // 4) * 130.0)
    graph.meta.update(
        name="Transfer learning: a lesson in two steps",
        description="Step 1: this CNN learns the digits 0 to 4 of scattered_digits: scikit-learn's 8x8 digits"
                    " enlarged, turned and placed anywhere on a 28x28 canvas among stray strokes and noise (made"
                    " from the seed, no download). Its three convolutions learn strokes and shapes; the global max"
                    " pool (anywhere) keeps each channel's strongest response wherever the digit stands. In its"
                    " last epochs the validation loss creeps up while the training loss goes on falling (the coach"
                    " calls it overfitting); step 2 starts from best.pt, the epoch with the lowest validation loss."
                    " Step 2"
                    " reuses the convolutions for the digits 5 to 9 with only 20 labels each: in the run list,"
                    " right-click the finished run and choose Start the Lesson's Next Step. Three networks then"
                    " train side by side: the transferred convolutional layers frozen under a new head, the same"
                    " fine-tuned with a lower learning rate, and the same network from scratch. Try fewer labels"
                    " (the Data panel's labels per class) and watch which network holds up.",
        data=DataSpec(source=SOURCE, classes=[0, 1, 2, 3, 4], seed=SEED).to_dict(),
        training={"optimizer": "adam", "lr": 0.003, "batch_size": 32, "epochs": 20, "seed": SEED},
        lesson={"step": 1, "steps": STEPS, "next": json.loads(dumps(step_two()))},
        quality={"metric": "val_acc", "at_least": 0.9, "epochs": 20,
                 "note": "step 1 reaches 0.89 to 0.99 validation accuracy on the digits 0 to 4 in 20 epochs over"
                         " seeds 0 to 7 (0.978 on this seed, 2)"})
    return graph


if __name__ == "__main__":
    lesson().save(OUT)
    print("wrote", OUT)
