"""Write the GAN templates, templates/gan_ring.json and templates/gan_digits.json, from the builder
code below (run: python scripts/make_gan_templates.py). Each document holds two networks, trained in
turns by the adversarial recipe (netbuilder/train/adversarial.py): the generator on the top row, the
discriminator below it. Their quality bars are checked by tests/templates/test_gan_templates.py."""
from pathlib import Path

from netbuilder import GraphBuilder

OUT = Path(__file__).resolve().parent.parent / "templates"
DX, DY = 200.0, 170.0  # one network per row: the generator above the discriminator

RING_STD = 0.1  # the spread of each of the ring's 8 modes
RING_EPOCHS = 40
DIGITS_EPOCHS = 40


def _row(b: GraphBuilder, row: int, chain: list[tuple]) -> str:
    """Add a chain of (type, name, params) left to right on one row; returns the last node's id."""
    last = None
    for i, (layer, name, params) in enumerate(chain):
        inputs = (last,) if last else ()
        last = b.add(layer, *inputs, name=name, pos=(i * DX, row * DY), **params)
    return last


def gan_ring():
    b = GraphBuilder()
    _row(b, 0, [("Input", "noise", {"shape": [8]}),
                ("Linear", "g_hidden1", {"out_features": 64}), ("ReLU", "g_relu1", {}),
                ("Linear", "g_hidden2", {"out_features": 64}), ("ReLU", "g_relu2", {}),
                ("Linear", "g_point", {"out_features": 2}),
                ("Output", "fake", {})])
    _row(b, 1, [("Input", "point", {"shape": [2]}),
                ("Linear", "d_hidden1", {"out_features": 64}), ("LeakyReLU", "d_act1", {"negative_slope": 0.2}),
                ("Linear", "d_hidden2", {"out_features": 64}), ("LeakyReLU", "d_act2", {"negative_slope": 0.2}),
                ("Linear", "d_logit", {"out_features": 1}),
                ("Output", "real_or_fake", {})])
    b.graph.meta.update(
        name="GAN ring",
        description=(
            "Two networks play a game: the generator (top) turns random noise into 2-D points, and the"
            " discriminator (bottom) learns to tell them from real points, which lie in 8 clusters on a"
            " ring. Mode collapse is when the generated points crowd into one or two clusters, or hop from"
            " cluster to cluster, instead of covering all 8. If that happens, try a lower learning rate"
            " or a smaller discriminator."),
        data={"source": "ring", "options": {"n": 4000, "noise": RING_STD}, "val_fraction": 0.1,
              "test_fraction": 0.1, "normalize": "none", "seed": 0},
        training={"recipe": "adversarial", "optimizer": "adam", "lr": 0.002, "batch_size": 128,
                  "epochs": RING_EPOCHS, "seed": 0},
        # measured by adversarial.mode_coverage on trainer.samples(1000) after `epochs`
        quality={"epochs": RING_EPOCHS, "samples": 1000, "mode_coverage_at_least": 0.75, "std": RING_STD,
                 "min_share": 0.02,
                 "note": (f"within {RING_EPOCHS} epochs its generated points cover at least 6 of the 8 clusters"
                          " (a cluster counts when 2% of 1,000 points fall within 3 standard deviations of its"
                          " centre)")})
    return b.graph


def gan_digits():
    b = GraphBuilder()
    _row(b, 0, [("Input", "noise", {"shape": [16]}),
                ("Linear", "g_hidden", {"out_features": 128}), ("ReLU", "g_relu", {}),
                ("Linear", "g_pixels", {"out_features": 64}), ("Sigmoid", "g_sigmoid", {}),
                ("Reshape", "g_image", {"shape": [1, 8, 8]}),
                ("Output", "fake", {})])
    _row(b, 1, [("Input", "image", {"shape": [1, 8, 8]}), ("Flatten", "d_flatten", {}),
                ("Linear", "d_hidden", {"out_features": 128}), ("LeakyReLU", "d_act", {"negative_slope": 0.2}),
                ("Linear", "d_logit", {"out_features": 1}),
                ("Output", "real_or_fake", {})])
    b.graph.meta.update(
        name="GAN digits",
        description=(
            "A generator (top) learns to draw 8x8 handwritten digits from random noise, while a"
            " discriminator (bottom) learns to tell its drawings from real ones; each improves by beating"
            " the other. Mode collapse is when every drawing looks like the same digit, or the same blur,"
            " whatever the noise. If that happens, or the discriminator wins outright (its loss near 0),"
            " try a lower learning rate or a smaller discriminator."),
        data={"source": "digits", "normalize": "none", "val_fraction": 0.15, "test_fraction": 0.15, "seed": 0},
        training={"recipe": "adversarial", "optimizer": "adam", "lr": 0.001, "batch_size": 64,
                  "epochs": DIGITS_EPOCHS, "seed": 0},
        # measured on the validation digits against trainer.samples(500): adversarial.discriminator_accuracy,
        # mean_image_distance (after / before training) and spread_ratio
        quality={"epochs": DIGITS_EPOCHS, "samples": 500, "discriminator_accuracy_below": 0.95,
                 "image_distance_ratio_at_most": 0.5, "spread_ratio_at_least": 0.75,
                 "note": (f"after {DIGITS_EPOCHS} epochs the discriminator still takes some drawings for real"
                          " digits (below 95% right on real against drawn), the average drawing is at least"
                          " twice as close to the average real digit as at the start, and the drawings vary"
                          " from pixel to pixel at least three quarters as much as real digits do")})
    return b.graph


TEMPLATES = (gan_ring, gan_digits)

if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for make in TEMPLATES:
        path = OUT / f"{make.__name__}.json"
        make().save(path)
        print("wrote", path)
