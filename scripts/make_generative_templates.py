"""Write the generative templates (autoencoder, VAE) to templates/*.json from the builder code below.

Run: .venv/bin/python scripts/make_generative_templates.py
Their quality bars are checked by tests/templates/test_generative_templates.py.
"""
from pathlib import Path

from netbuilder import GraphBuilder

OUT = Path(__file__).resolve().parent.parent / "templates"
DX, DY = 260.0, 150.0


def _decoder(b, z, hidden):
    """latent -> hidden -> 64 pixels in (0, 1) -> an 8x8 image, the Input's shape."""
    h = b.add("ReLU", b.add("Linear", z, name="decoder", out_features=hidden))
    h = b.add("Sigmoid", b.add("Linear", h, name="pixels", out_features=64))
    b.add("Output", b.add("Reshape", h, name="to_image", shape=[1, 8, 8]), name="reconstruction")


def autoencoder_digits():
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", name="image", shape=[1, 8, 8]))
    h = b.add("ReLU", b.add("Linear", h, name="encoder", out_features=32))
    z = b.add("Linear", h, name="bottleneck", out_features=8)
    _decoder(b, z, hidden=32)
    b.graph.meta.update(
        name="Autoencoder digits",
        description="An autoencoder squeezes each 8x8 digit (64 pixels) through a bottleneck of 8 numbers and"
                    " rebuilds the image from them; the target is the input itself, so no labels are needed."
                    " Try a bottleneck of 2 or 32 and watch the reconstruction loss, or add noise in the Data"
                    " panel's augmentation to make it a denoising autoencoder.",
        data={"source": "digits"},
        training={"recipe": "reconstruction", "loss": "mse", "optimizer": "adam", "lr": 0.003,
                  "batch_size": 32, "epochs": 40, "seed": 0},
        quality={"metric": "val_loss", "at_most": 0.025, "epochs": 40,
                 "note": "it reaches a validation loss (mean squared error per pixel) below 0.025 in 40 epochs;"
                         " drawing the average digit every time scores about 0.073"})
    return b.graph


def vae_digits():
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", name="image", shape=[1, 8, 8]))
    h = b.add("ReLU", b.add("Linear", h, name="encoder", out_features=64))
    z = b.add("Reparameterize", h, name="z", latent=2)
    _decoder(b, z, hidden=64)
    b.graph.meta.update(
        name="VAE digits",
        description="A variational autoencoder encodes each digit as a small cloud in a 2-D latent space"
                    " instead of a single point, and the KL term pulls those clouds toward a standard normal,"
                    " so every point of the space decodes to a plausible digit. After training, walk the"
                    " latent grid to see digits morph into each other; try kl_weight 0 (a plain autoencoder"
                    " with noise) or 0.05 (blurrier, smoother) and compare.",
        data={"source": "digits"},
        training={"recipe": "variational", "loss": "mse", "kl_weight": 0.005, "optimizer": "adam",
                  "lr": 0.003, "batch_size": 32, "epochs": 50, "seed": 0},
        quality={"metric": "val_loss", "at_most": 0.06, "epochs": 50,
                 "note": "it reaches a validation loss (pixel error plus 0.005 x the KL term) below 0.06 in"
                         " 50 epochs, from two latent numbers; drawing the average digit scores about 0.073"})
    return b.graph


def rows(graph):
    """Encoder on the first row, decoder (from the Linear named "decoder") on the second, like text."""
    row, col = 0, 0
    for node in graph.nodes():
        if node.name == "decoder":
            row, col = row + 1, 0
        node.pos = (col * DX, row * DY)
        col += 1
    return graph


TEMPLATES = (autoencoder_digits, vae_digits)

if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for make in TEMPLATES:
        path = OUT / f"{make.__name__}.json"
        rows(make()).save(path)
        print("wrote", path)
