"""The import corpus: real model classes of public packages, each with how a user would import it (the file,
--class or --factory, --args, --input) and what the import gives: "imports", or "refused: <what the message
says>". Constructor arguments are the model's own defaults, scaled down where the defaults are large (each
such entry says so in `note`), so that the whole corpus test runs in a few minutes on two cores.

Read by tests/compile/test_corpus.py and bench/bench_import.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Entry:
    name: str  # the test's id
    file: str  # in this folder
    build: str  # "ClassName" (--class) or "function()" (--factory)
    args: dict = field(default_factory=dict)
    inputs: tuple = ()  # --input values: "name:dtype:shape", the batch included
    expect: str = "imports"  # or "refused: <a part of the message>"
    batch: tuple = ()  # the batch's dimension in each input (0 where not given)
    tokens: int = 4  # integer inputs are drawn below this (a vocabulary's or a category's size)
    positive: tuple = ()  # inputs drawn above zero (a state the model takes the log of)
    onnx: str = ""  # why this model is not checked in ONNX ("" to check it)
    note: str = ""  # what was scaled down from the defaults

    @property
    def path(self) -> Path:
        return FOLDER / self.file

    @property
    def factory(self) -> str | None:
        return self.build[:-2] if self.build.endswith("()") else None

    @property
    def class_name(self) -> str | None:
        return None if self.factory else self.build

    def batch_dim(self, i: int) -> int:
        return self.batch[i] if i < len(self.batch) else 0

    def argv(self) -> list[str]:
        """The `netbuilder import` arguments for this entry (without the file and -o)."""
        import json

        out = ["--factory", self.factory] if self.factory else ["--class", self.build]
        if self.args:
            out += ["--args", json.dumps(self.args)]
        for text in self.inputs:
            out += ["--input", text]
        return out


M, L, O = "monai_nets.py", "lucidrains_models.py", "more_models.py"
ENTRIES = [
    # ---- MONAI (Apache-2.0) ----
    Entry("monai_vae", M, "VarAutoEncoder", {"spatial_dims": 2, "in_shape": [1, 28, 28], "out_channels": 1,
          "latent_size": 8, "channels": [8, 16], "strides": [2, 2]}, ("x:float32:2,1,28,28",),
          note="channels (8, 16) for a 28x28 image; in eval mode its reparameterisation gives mu + std (a Reparameterize"
               " layer evaluating to mean + std; mu, logvar and z, which forward also returns, are inside it)"),
    Entry("monai_autoencoder", M, "AutoEncoder", {"spatial_dims": 2, "in_channels": 1, "out_channels": 1,
          "channels": [8, 16], "strides": [2, 2]}, ("x:float32:2,1,28,28",)),
    Entry("monai_unet", M, "UNet", {"spatial_dims": 2, "in_channels": 1, "out_channels": 2,
          "channels": [8, 16, 32], "strides": [2, 2], "num_res_units": 1}, ("x:float32:2,1,32,32",)),
    Entry("monai_basic_unet", M, "BasicUNet", {"spatial_dims": 2, "in_channels": 1, "out_channels": 2,
          "features": [8, 8, 16, 16, 32, 8]}, ("x:float32:2,1,32,32",),
          note="features (8, 8, 16, 16, 32, 8), its default (32, 32, 64, 128, 256, 32) quartered"),
    Entry("monai_attention_unet", M, "AttentionUnet", {"spatial_dims": 2, "in_channels": 1, "out_channels": 2,
          "channels": [8, 16, 32], "strides": [2, 2]}, ("x:float32:2,1,32,32",)),
    Entry("monai_gan_generator", M, "Generator", {"latent_shape": [16], "start_shape": [16, 7, 7],
          "channels": [8, 1], "strides": [2, 2]}, ("x:float32:2,16",)),
    Entry("monai_gan_discriminator", M, "Discriminator", {"in_shape": [1, 28, 28], "channels": [8, 16],
          "strides": [2, 2]}, ("x:float32:2,1,28,28",)),
    Entry("monai_classifier", M, "Classifier", {"in_shape": [1, 28, 28], "classes": 10, "channels": [8, 16],
          "strides": [2, 2], "last_act": "softmax"}, ("x:float32:2,1,28,28",)),
    Entry("monai_densenet121", M, "DenseNet121", {"spatial_dims": 2, "in_channels": 3, "out_channels": 10,
          "init_features": 16, "growth_rate": 8, "block_config": [2, 2, 2, 2]}, ("x:float32:2,3,32,32",),
          note="init_features 16, growth_rate 8, block_config (2, 2, 2, 2): its (6, 12, 24, 16) at 64/32 is 7M"
               " weights"),
    Entry("monai_resnet10", M, "resnet10()", {"spatial_dims": 2, "n_input_channels": 3, "num_classes": 10},
          ("x:float32:2,3,32,32",)),
    Entry("monai_segresnet", M, "SegResNet", {"spatial_dims": 2, "init_filters": 8, "in_channels": 1,
          "out_channels": 2, "blocks_down": [1, 1, 1], "blocks_up": [1, 1]}, ("x:float32:2,1,32,32",),
          note="blocks_down (1, 1, 1) and blocks_up (1, 1) instead of (1, 2, 2, 4) and (1, 1, 1)"),
    Entry("monai_vit", M, "ViT", {"in_channels": 1, "img_size": [28, 28], "patch_size": [7, 7], "hidden_size": 32,
          "mlp_dim": 64, "num_layers": 2, "num_heads": 4, "classification": True, "num_classes": 10,
          "spatial_dims": 2}, ("x:float32:2,1,28,28",),
          note="hidden 32, mlp 64, 2 layers, 4 heads instead of 768, 3072, 12, 12"),
    Entry("monai_mlp", M, "FullyConnectedNet", {"in_channels": 20, "out_channels": 3, "hidden_channels": [32, 16],
          "dropout": 0.1}, ("input:float32:2,20",)),
    Entry("monai_highresnet", M, "HighResNet", {"spatial_dims": 2, "in_channels": 1, "out_channels": 2},
          ("x:float32:2,1,24,24",)),
    Entry("monai_decoder_transformer", M, "DecoderOnlyTransformer", {"num_tokens": 50, "max_seq_len": 16,
          "attn_layers_dim": 32, "attn_layers_depth": 2, "attn_layers_heads": 4}, ("x:int64:2,16",), tokens=50),
    # ---- lucidrains (MIT) ----
    Entry("mlp_mixer", L, "MLPMixer()", {"image_size": 32, "channels": 3, "patch_size": 8, "dim": 32, "depth": 2,
          "num_classes": 10}, ("input:float32:2,3,32,32",), note="dim 32, depth 2 (the README's example: 512, 12)"),
    Entry("perceiver", L, "Perceiver", {"num_freq_bands": 4, "depth": 1, "max_freq": 10.0, "input_channels": 3,
          "input_axis": 2, "num_latents": 16, "latent_dim": 32, "cross_dim_head": 16, "latent_dim_head": 16,
          "latent_heads": 2, "num_classes": 10}, ("data:float32:2,8,8,3",),
          note="16 latents of 32, depth 1 instead of 512 of 512"),
    Entry("conformer_block", L, "ConformerBlock", {"dim": 32, "dim_head": 8, "heads": 4}, ("x:float32:2,12,32",),
          note="dim 32, 4 heads of 8"),
    Entry("linformer_lm", L, "LinformerLM", {"num_tokens": 50, "dim": 32, "seq_len": 16, "depth": 2, "k": 8,
          "heads": 4}, ("x:int64:2,16",), tokens=50, note="dim 32, depth 2, k 8"),
    Entry("nystromformer", L, "Nystromformer", {"dim": 32, "dim_head": 8, "heads": 4, "depth": 1,
          "num_landmarks": 4, "pinv_iterations": 3}, ("x:float32:2,16,32",),
          note="dim 32, 4 heads of 8, depth 1, 4 landmarks, 3 pseudo-inverse iterations (6 by default)"),
    Entry("siren", L, "SirenNet", {"dim_in": 2, "dim_hidden": 32, "dim_out": 3, "num_layers": 3},
          ("x:float32:2,2",)),
    Entry("lambda_layer", L, "LambdaLayer", {"dim": 16, "dim_out": 16, "r": 3, "dim_k": 8, "heads": 4,
          "dim_u": 1}, ("x:float32:2,16,8,8",)),
    Entry("min_gru", L, "minGRU", {"dim": 16}, ("x:float32:2,12,16",)),
    Entry("min_gru_state", L, "minGRU", {"dim": 16}, ("x:float32:2,12,16", "prev_hidden:float32:2,1,16"),
          positive=("prev_hidden",), note="its state is positive (forward takes its log)",
          onnx="netbuilder export's own check draws the state from N(0, 1): the log of a negative state is NaN"),
    Entry("min_lm", L, "minLM", {"num_tokens": 50, "dim": 16, "depth": 2, "use_lstm": True}, ("x:int64:2,12",),
          tokens=50, note="dim 16, depth 2"),
    # ---- other packages ----
    Entry("tcn", O, "TCN", {"num_inputs": 4, "num_channels": [8, 8, 8], "kernel_size": 3},
          ("x:float32:2,4,32",)),
    Entry("efficientnet_b0", O, "efficientnet_b0()", {"width_coefficient": 0.5, "depth_coefficient": 0.5},
          ("inputs:float32:2,3,32,32",), note="B0 at half its width and depth (9 blocks of 16), image_size 32"),
    Entry("mamba", O, "mamba()", {}, ("x:float32:2,8,16",), note="d_model 16, 2 layers"),
    Entry("unet2d", O, "UNet2D", {"in_channels": 1, "out_classes": 2, "num_encoding_blocks": 3,
          "out_channels_first_layer": 8, "padding": 1}, ("x:float32:2,1,32,32",),
          note="3 encoding blocks from 8 channels instead of 5 from 64"),
    Entry("rtdl_mlp", O, "MLP", {"d_in": 10, "d_out": 2, "n_blocks": 2, "d_block": 32, "dropout": 0.1},
          ("x:float32:2,10",)),
    # captured by TorchDynamo (strict torch.export): its `batch_size = len(q)` fixes the batch in the other capture
    Entry("ft_transformer", O, "ft_transformer()", {}, ("x_cont:float32:2,3", "x_cat:int64:2,2")),
    Entry("gpt2", O, "gpt2()", {}, ("input_ids:int64:2,12",), tokens=100,
          note="2 layers of 32, 4 heads, 100 tokens"),
]

