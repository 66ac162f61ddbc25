"""Import corpus: Phil Wang's (lucidrains) PyTorch models, used as a user's file uses them.

Packages (pinned in constraints.txt; the `corpus` extra), each licence MIT:
- mlp-mixer-pytorch 0.3.1, https://github.com/lucidrains/mlp-mixer-pytorch, mlp_mixer_pytorch/mlp_mixer_pytorch.py
  (MLPMixer: a function returning an nn.Sequential, einops' Rearrange and Reduce layers)
- perceiver-pytorch 0.11.0, https://github.com/lucidrains/perceiver-pytorch, perceiver_pytorch/perceiver_pytorch.py
  (Perceiver)
- conformer 0.3.2, https://github.com/lucidrains/conformer, conformer/conformer.py (ConformerBlock)
- linformer 0.2.3, https://github.com/lucidrains/linformer, linformer/linformer.py (LinformerLM)
- nystrom-attention 0.0.14, https://github.com/lucidrains/nystrom-attention, nystrom_attention/nystrom_attention.py
  (Nystromformer)
- siren-pytorch 0.1.7, https://github.com/lucidrains/siren-pytorch, siren_pytorch/siren_pytorch.py (SirenNet)
- lambda-networks 0.4.0, https://github.com/lucidrains/lambda-networks, lambda_networks/lambda_networks.py
  (LambdaLayer)
- minGRU-pytorch 0.2.1, https://github.com/lucidrains/minGRU-pytorch, minGRU_pytorch/minGRU.py (minGRU, given its
  state or not) and minGRU_pytorch/minLM.py (minLM, a language model of minLSTM layers)
The model code is not copied into this repository (code fetched from public repositories is never committed
here): the test imports it from site-packages, as a user's own model file would.
"""
from conformer import ConformerBlock
from lambda_networks import LambdaLayer
from linformer import LinformerLM
from minGRU_pytorch import minGRU
from minGRU_pytorch.minLM import minLM
from mlp_mixer_pytorch import MLPMixer
from nystrom_attention import Nystromformer
from perceiver_pytorch import Perceiver
from siren_pytorch import SirenNet

__all__ = ["ConformerBlock", "LambdaLayer", "LinformerLM", "minGRU", "minLM", "MLPMixer", "Nystromformer", "Perceiver",
           "SirenNet"]
