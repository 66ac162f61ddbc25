"""Import corpus: models of other packages, used as a user's file uses them; a config object or a named
builder comes in through a small function of this file (--factory), the way a user builds one.

Packages (pinned in constraints.txt; the `corpus` extra):
- pytorch-tcn 1.2.3, licence MIT, https://github.com/paul-krug/pytorch-tcn, pytorch_tcn/tcn.py (TCN)
- efficientnet_pytorch 0.7.1, licence Apache-2.0, https://github.com/lukemelas/EfficientNet-PyTorch,
  efficientnet_pytorch/model.py and utils.py (EfficientNet, built from its name and a GlobalParams namedtuple)
- mambapy 1.2.0, licence MIT, https://github.com/alxndrTL/mamba.py, mambapy/mamba.py (Mamba, built from a
  MambaConfig dataclass; its LM needs mamba_ssm, a CUDA package)
- unet 0.8.1, licence MIT, https://github.com/fepegar/unet, unet/unet.py (UNet2D)
- rtdl_revisiting_models 0.0.2, licence Apache-2.0, https://github.com/yandex-research/tabular-dl-revisiting-models,
  package/rtdl_revisiting_models.py (MLP, FTTransformer)
- transformers 5.25.0, licence Apache-2.0, https://github.com/huggingface/transformers,
  src/transformers/models/gpt2/modeling_gpt2.py (GPT2LMHeadModel, built from a GPT2Config)
The model code is not copied into this repository (code fetched from public repositories is never committed
here): the test imports it from site-packages, as a user's own model file would.
"""
from efficientnet_pytorch import EfficientNet
from mambapy.mamba import Mamba, MambaConfig
from pytorch_tcn import TCN
from rtdl_revisiting_models import MLP, FTTransformer
from unet import UNet2D


def efficientnet_b0(num_classes=10, image_size=32, **override_params):
    """EfficientNet-B0's block list and widths at a small image size (its own default is 224); override_params as
    EfficientNet.from_name takes them (width_coefficient, depth_coefficient, ...)."""
    return EfficientNet.from_name("efficientnet-b0", num_classes=num_classes, image_size=image_size,
                                  **override_params)


def mamba(d_model=16, n_layers=2):
    return Mamba(MambaConfig(d_model=d_model, n_layers=n_layers))


def ft_transformer(n_num=3, cardinalities=(4, 5), d_out=2):
    """FTTransformer with its own default block settings (get_default_kwargs), numbers and categories."""
    return FTTransformer(n_cont_features=n_num, cat_cardinalities=list(cardinalities), d_out=d_out,
                         **FTTransformer.get_default_kwargs(n_blocks=1))


def gpt2(n_layer=2, n_embd=32, n_head=4, vocab_size=100, n_positions=64):
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(n_layer=n_layer, n_embd=n_embd, n_head=n_head, vocab_size=vocab_size,
                        n_positions=n_positions, use_cache=False, bos_token_id=0, eos_token_id=0)
    return GPT2LMHeadModel(config)


__all__ = ["EfficientNet", "Mamba", "MambaConfig", "TCN", "MLP", "FTTransformer", "UNet2D",
           "efficientnet_b0", "mamba", "ft_transformer", "gpt2"]
