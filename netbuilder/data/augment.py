"""Image augmentation on whole training batches: flips, small rotations, random crops (shifts),
brightness and noise, in one vectorised pass. Applied to training batches only; validation and
test data never pass through it."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F


@dataclass
class Augment:
    flip: bool = False  # mirror left-right, half of the samples
    rotate: float = 0.0  # up to this many degrees either way
    crop: int = 0  # shift by up to this many pixels (a random crop of the zero-padded image)
    brightness: float = 0.0  # add up to this much either way
    noise: float = 0.0  # Gaussian noise of this standard deviation

    @property
    def active(self) -> bool:
        return bool(self.flip or self.rotate or self.crop or self.brightness or self.noise)

    def problems(self) -> list[str]:
        found = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "flip" and (not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0):
                found.append(f"augmentation {f.name} must be a number of at least 0, not {value!r}")
        if isinstance(self.rotate, (int, float)) and self.rotate > 180:
            found.append("augmentation rotate must be at most 180 degrees")
        return found

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Augment":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """x: a batch of images [N, C, H, W]; returns a new batch (x itself is not changed)."""
        if not self.active:
            return x
        n, device = len(x), x.device

        def uniform(low: float, high: float) -> torch.Tensor:
            return (torch.rand(n, generator=generator) * (high - low) + low).to(device)

        if self.flip:
            flipped = uniform(0, 1) < 0.5
            x = torch.where(flipped[:, None, None, None], x.flip(-1), x)
        if self.rotate or self.crop:
            angle = uniform(-self.rotate, self.rotate) * math.pi / 180
            h, w = x.shape[-2:]
            shift_x = uniform(-self.crop, self.crop).round() * 2 / w  # grid units: the image spans 2
            shift_y = uniform(-self.crop, self.crop).round() * 2 / h
            cos, sin = torch.cos(angle), torch.sin(angle)
            theta = torch.stack([torch.stack([cos, -sin, shift_x], 1), torch.stack([sin, cos, shift_y], 1)], 1)
            grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        if self.brightness:
            x = x + uniform(-self.brightness, self.brightness)[:, None, None, None]
        if self.noise:
            x = x + torch.randn(x.shape, generator=generator).to(device) * self.noise
        return x
