"""Write the diffusion templates, templates/diffusion_ring.json and templates/diffusion_digits.json, from the
builder code below (run: python scripts/make_diffusion_templates.py). Each is one network of two Inputs, the
noisy sample and its step, trained by the denoising recipe (netbuilder/train/recipes/denoising.py) to see the
noise in the sample. Their quality bars are checked by tests/templates/test_diffusion_templates.py."""
from pathlib import Path

from netbuilder import GraphBuilder

OUT = Path(__file__).resolve().parent.parent / "templates"
DX, DY = 210.0, 150.0

RING_STD = 0.1  # the spread of each of the ring's 8 modes (as the GAN ring's)
RING_EPOCHS = 100
RING_STEPS = 100
DIGITS_EPOCHS = 40
DIGITS_STEPS = 200


def diffusion_ring():
    """An MLP: three hidden layers, each told the step by its own projection of the step's embedding."""
    b = GraphBuilder()
    step = b.add("Input", name="step", shape=[1], dtype="int", vocab_size=RING_STEPS, pos=(0.0, 0.0))
    embed = b.add("TimestepEmbedding", step, name="step_embed", dim=32, pos=(DX, 0.0))
    h = b.add("Input", name="noisy_point", shape=[2], pos=(0.0, DY))
    for i in (1, 2, 3):
        x0 = (3 * i - 2) * DX
        tell = b.add("Linear", embed, name=f"step_to_{i}", out_features=128, pos=(x0 + DX, 0.0))
        h = b.add("Linear", h, name=f"hidden{i}", out_features=128, pos=(x0, DY))
        h = b.add("Add", h, tell, name=f"add_step{i}", pos=(x0 + DX, DY))
        h = b.add("SiLU", h, name=f"act{i}", pos=(x0 + 2 * DX, DY))
    out = b.add("Linear", h, name="noise_seen", out_features=2, pos=(10 * DX, DY))
    b.add("Output", out, name="noise", pos=(11 * DX, DY))
    b.graph.meta.update(
        name="Diffusion ring",
        description=(
            "A denoising diffusion model learns to see the noise in a noised point: each step of training"
            " adds a random amount of noise to points from 8 clusters on a ring, and the network (told the"
            " amount through the step Input above) learns to name that noise. To make new points it starts"
            " from pure noise and takes the noise it sees away, step by step, until the points gather on the"
            " 8 clusters; compare the GAN ring, whose generator often covers only some of them."),
        data={"source": "ring", "options": {"n": 4000, "noise": RING_STD}, "val_fraction": 0.1,
              "test_fraction": 0.1, "normalize": "none", "seed": 0},
        training={"recipe": "denoising", "optimizer": "adam", "lr": 0.003, "schedule": "cosine",
                  "batch_size": 128, "epochs": RING_EPOCHS, "seed": 0, "noise_schedule": "cosine",
                  "diffusion_steps": RING_STEPS, "sampling": "ddpm", "ddim_steps": 20},
        # measured by adversarial.mode_coverage and near_mode_share on recipe.samples(1000) after `epochs`
        quality={"epochs": RING_EPOCHS, "samples": 1000, "seeds": [0, 1], "mode_coverage_at_least": 1.0,
                 "near_mode_share_at_least": 0.9, "std": RING_STD, "min_share": 0.02,
                 "note": (f"after {RING_EPOCHS} epochs 1,000 points made by DDPM cover all 8 clusters and at"
                          " least 90% of them lie within 3 standard deviations of a cluster's centre")})
    return b.graph


TEMPLATES = (diffusion_ring,)

if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for make in TEMPLATES:
        path = OUT / f"{make.__name__}.json"
        make().save(path)
        print("wrote", path)
