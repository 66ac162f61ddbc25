"""Import corpus: MONAI's networks, used as a user's file uses them (imported from the installed package).

Package: monai 1.6.1 (pinned in constraints.txt; the `corpus` extra), licence Apache-2.0,
source https://github.com/Project-MONAI/MONAI at tag 1.6.1, the classes in monai/networks/nets/:
varautoencoder.py (VarAutoEncoder), autoencoder.py (AutoEncoder), unet.py (UNet), basic_unet.py (BasicUNet),
attentionunet.py (AttentionUnet), generator.py (Generator), regressor.py + classifier.py (Discriminator,
Classifier), densenet.py (DenseNet121), resnet.py (resnet10), segresnet.py (SegResNet), vit.py (ViT),
fullyconnectednet.py (FullyConnectedNet), highresnet.py (HighResNet), transformer.py (DecoderOnlyTransformer).
The model code is not copied into this repository (code fetched from public repositories is never committed
here): the test imports it from site-packages, as a user's own model file would.
"""
from monai.networks.nets import (AttentionUnet, AutoEncoder, BasicUNet, Classifier, DecoderOnlyTransformer,
                                 DenseNet121, Discriminator, FullyConnectedNet, Generator, HighResNet, SegResNet,
                                 UNet, VarAutoEncoder, ViT, resnet10)

__all__ = ["AttentionUnet", "AutoEncoder", "BasicUNet", "Classifier", "DecoderOnlyTransformer", "DenseNet121",
           "Discriminator", "FullyConnectedNet", "Generator", "HighResNet", "SegResNet", "UNet", "VarAutoEncoder",
           "ViT", "resnet10"]
