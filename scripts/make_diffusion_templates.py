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
DIGITS_EPOCHS = 300
DIGITS_STEPS = 100


def diffusion_ring():
    """An MLP: three hidden layers, each told the step by its own projection of the step's embedding."""
    b = GraphBuilder()
    step = b.add("Input", name="step", shape=[1], pos=(0.0, 0.0))
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
            " 8 clusters; compare the GAN ring, whose points more often fall between them. Try sampling by ddim"
            " in 20 steps instead of ddpm's 100, or the linear noise schedule."),
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


CH, TIME = 32, 64  # the U-Net's channels at 8x8 (twice as many at 4x4) and the size of the step's vector


def _told(b: GraphBuilder, h: str, t: str, channels: int, name: str, col: int, row: int, add: str = "") -> str:
    """h + the step's vector projected to one value per channel ([C, 1, 1], added at every pixel)."""
    tell = b.add("Linear", t, name=f"{name}_step", out_features=channels, pos=(col * DX, (row - 1) * DY))
    tell = b.add("Reshape", tell, name=f"{name}_per_channel", shape=[channels, 1, 1],
                 pos=((col + 1) * DX, (row - 1) * DY))
    return b.add("Add", h, tell, name=add or f"{name}_add", pos=((col + 2) * DX, row * DY))


def _conv_norm_act(b: GraphBuilder, h: str, channels: int, name: str, col: int, row: int, t: str | None = None) -> str:
    """conv, GroupNorm(, the step added per channel when t is given), SiLU: 3 columns (5 with the step)."""
    h = b.add("Conv2d", h, name=f"{name}_conv", out_channels=channels, padding=1, pos=(col * DX, row * DY))
    h = b.add("GroupNorm", h, name=f"{name}_norm", num_groups=8, pos=((col + 1) * DX, row * DY))
    if t is not None:
        h = _told(b, h, t, channels, name, col + 1, row)
        col += 2
    return b.add("SiLU", h, name=f"{name}_act", pos=((col + 2) * DX, row * DY))


def _stage(inputs: list[tuple[str, list[int]]], channels: int, upsample: bool, every: bool = False) -> GraphBuilder:
    """A stage of the U-Net at one resolution: (up: the coarser features enlarged and joined with the skip,)
    conv, GroupNorm, SiLU, the step added per channel, then conv, GroupNorm, SiLU added back to that (a
    residual: the second convolution learns a correction). every: the step added after each GroupNorm instead."""
    b = GraphBuilder()
    ports = {name: b.add("Input", name=name, shape=shape, pos=(0.0, i * DY * 1.5)) for i, (name, shape) in
             enumerate(inputs)}
    col = 1
    h = ports["x1"]
    if upsample:
        h = b.add("Upsample", h, name="enlarge", scale_factor=2, pos=(DX, 0.0))
        h = b.add("Concatenate", h, ports["x2"], name="join_skip", pos=(2 * DX, 0.0))
        col = 3
    t = ports["x3" if upsample else "x2"]
    if every:
        told = _conv_norm_act(b, h, channels, "first", col, 0, t)
        h = _conv_norm_act(b, told, channels, "second", col + 5, 1, t)
        h = b.add("Add", told, h, name="add_back", pos=((col + 10) * DX, 0.0))
        b.add("Output", h, name="out", pos=((col + 11) * DX, 0.0))
        return b
    h = _conv_norm_act(b, h, channels, "first", col, 0)
    # inside a block the Adds are add1, add2, as the importer names them when the block's class comes back
    told = _told(b, h, t, channels, "first", col + 3, 1, add="add1")
    h = _conv_norm_act(b, told, channels, "second", col + 6, 1)
    h = b.add("Add", told, h, name="add2", pos=((col + 9) * DX, 0.0))  # the second convolution adds a correction
    b.add("Output", h, name="out", pos=((col + 10) * DX, 0.0))
    return b


def diffusion_digits(ch: int = CH, every: bool = True):
    """A small U-Net: a stage at 8x8 (Down), one at 4x4, and back up to 8x8 (Up), the 8x8 features carried
    across by a skip and joined by Concatenate; every stage told the step (every: after each GroupNorm, the
    4x4 stage's too). ch: the channels at 8x8 (twice as many at 4x4)."""
    CH = ch  # noqa: N806 - the module's default, as the story's names read
    b = GraphBuilder()
    told = "after each GroupNorm" if every else "between them"
    # the ports are named x1, x2, ... as Edit > Group into Block and the importer name a block's inputs
    b.define("Down", _stage([("x1", [CH, 8, 8]), ("x2", [TIME])], CH, False, every),
             "The U-Net's stage at full size (x1: the features, x2: the step's vector): two convolutions with"
             f" GroupNorm and SiLU, the step added per channel {told}, the second's output added to the first's;"
             " its output goes down to 4x4 and across, by the skip, to the Up stage")
    b.define("Up", _stage([("x1", [2 * CH, 4, 4]), ("x2", [CH, 8, 8]), ("x3", [TIME])], CH, True, every),
             "The U-Net's way back up (x1: the 4x4 features, x2: the Down stage's by the skip, x3: the step's"
             " vector): the 4x4 features enlarged to 8x8 and joined (Concatenate) with the Down"
             f" stage's, then two convolutions with GroupNorm and SiLU, the step added per channel {told}")
    step = b.add("Input", name="step", shape=[1], pos=(0.0, 0.0))
    t = b.add("TimestepEmbedding", step, name="step_embed", dim=32, pos=(DX, 0.0))
    t = b.add("SiLU", b.add("Linear", t, name="step_fc", out_features=TIME, pos=(2 * DX, 0.0)), name="step_act",
              pos=(3 * DX, 0.0))
    x = b.add("Input", name="noisy_digit", shape=[1, 8, 8], pos=(0.0, DY))
    h = b.add("Conv2d", x, name="stem", out_channels=CH, padding=1, pos=(DX, DY))
    skip = b.add("Block", h, t, name="down", block="Down", pos=(2 * DX, DY))
    h = b.add("Conv2d", skip, name="to_4x4", out_channels=2 * CH, kernel_size=3, stride=2, padding=1,
              pos=(3 * DX, 2 * DY))
    h = _conv_norm_act(b, h, 2 * CH, "middle", 4, 2, t if every else None)
    col = 9 if every else 7  # past the 4x4 stage
    h = b.add("Block", h, skip, t, name="up", block="Up", pos=(col * DX, DY))
    out = b.add("Conv2d", h, name="noise_seen", out_channels=1, kernel_size=1, pos=((col + 1) * DX, DY))
    b.add("Output", out, name="noise", pos=((col + 2) * DX, DY))
    b.graph.meta.update(
        name="Diffusion digits",
        description=(
            "A small U-Net learns to see the noise in noised 8x8 digits, told how much noise there is by the step"
            " Input above: the Down block works at full size, the features go down to 4x4 and back up in the Up"
            " block, where Concatenate joins them with the Down block's by the skip wire. To draw new digits it"
            " starts from pure noise and takes away what it sees, step by step (Samples shows the way), by DDPM"
            " through all 100 steps; try ddim in 50, twice as fast (its ddim_eta 1 draws fresh noise at each"
            " step, as DDPM does: crisper digits than none)."),
        data={"source": "digits", "normalize": "none", "val_fraction": 0.15, "test_fraction": 0.15, "seed": 0},
        training={"recipe": "denoising", "optimizer": "adam", "lr": 0.003, "schedule": "cosine",
                  "batch_size": 64, "epochs": DIGITS_EPOCHS, "seed": 0, "noise_schedule": "cosine",
                  "diffusion_steps": DIGITS_STEPS, "sampling": "ddpm", "ddim_steps": 50, "ddim_eta": 1.0,
                  "unit_range": True, "snr_gamma": 5.0},
        # measured by the CNN digits template, trained inside the test, on recipe.samples(1000) after `epochs`, by
        # DDPM and by DDIM in ddim_steps (with the template's ddim_eta)
        quality={"epochs": DIGITS_EPOCHS, "samples": 1000, "seeds": [0], "class_share_at_least": 0.05,
                 "mean_top_probability_at_least": 0.9, "image_distance_ratio_at_most": 0.5,
                 "note": (f"after {DIGITS_EPOCHS} epochs the CNN digits template takes 1,000 of its drawings for"
                          " digits of every class (each at least 5% of them), with a mean top probability of at"
                          " least 0.9 (real digits: 0.96), drawn by DDPM in 100 steps and by DDIM in 50")})
    return b.graph


TEMPLATES = (diffusion_ring, diffusion_digits)

if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for make in TEMPLATES:
        path = OUT / f"{make.__name__}.json"
        make().save(path)
        print("wrote", path)
