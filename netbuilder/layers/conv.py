"""Convolution, pooling and upsampling layers."""
from __future__ import annotations

from .rules import custom, need_rank, nn, pair, sliding, square_reshape
from .spec import Ctor, LayerSpec, Param, ShapeError

IMAGE = "[N, channels, height, width]"
SIGNAL = "[N, channels, length]"


def _window(dims, kernel, stride, pad_help="Zeros added on each side"):
    kind, hw = ("pair", " (one number, or [height, width])") if dims == 2 else ("int", "")
    return (Param("kernel_size", kind, kernel, f"Window size{hw}", min=1),
            Param("stride", kind, stride, "Step between windows", min=1),
            Param("padding", kind, 0, pad_help, min=0))


def _conv_params(dims):
    window = _window(dims, 3, 1)
    dilation = Param("dilation", "int" if dims == 1 else "pair", 1, "Spacing between kernel taps", min=1)
    return (Param("out_channels", "int", 16, "Number of filters (output channels)", min=1),
            *window, dilation, Param("bias", "bool", True, "Add a learned bias"))


def _conv_shape(layer, dims):
    def rule(p, xs):
        x = need_rank(xs[0], layer, (dims + 1,), IMAGE if dims == 2 else SIGNAL,
                      fix=square_reshape(xs[0], dims + 1))
        return x.with_shape(p["out_channels"], *sliding(x, p, layer, dims, dilation=True))
    return rule


def _conv_module(layer):
    def build(p, xs):
        keys = ("out_channels", "kernel_size", "stride", "padding", "dilation", "bias")
        return Ctor(nn(layer), dict(in_channels=xs[0].shape[0], **{k: p[k] for k in keys}))
    return build


def _tconv_shape(p, xs):
    x = need_rank(xs[0], "ConvTranspose2d", (3,), IMAGE, fix=square_reshape(xs[0], 3))
    k, s, pad, op = (pair(p[n]) for n in ("kernel_size", "stride", "padding", "output_padding"))
    size = [(n - 1) * s_ - 2 * pd + (k_ - 1) + o + 1 for n, k_, s_, pd, o in zip(x.shape[1:], k, s, pad, op)]
    if any(o >= s_ for o, s_ in zip(op, s)):
        raise ShapeError("ConvTranspose2d's output_padding must be smaller than its stride")
    if min(size) < 1:
        raise ShapeError(f"ConvTranspose2d's padding is too large: the output would be {size}")
    return x.with_shape(p["out_channels"], *size)


def _pool_shape(layer, dims):
    def rule(p, xs):
        x = need_rank(xs[0], layer, (dims + 1,),
                      IMAGE if dims == 2 else SIGNAL, fix=square_reshape(xs[0], dims + 1))
        for k, pad in zip(*(pair(p[n]) if dims == 2 else (p[n],) for n in ("kernel_size", "padding"))):
            if pad * 2 > k:
                raise ShapeError(f"{layer}'s padding ({pad}) must be at most half its kernel ({k})")
        return x.with_shape(*x.shape[:-dims], *sliding(x, p, layer, dims))
    return rule


def _pool_module(layer):
    return lambda p, xs: Ctor(nn(layer), {k: p[k] for k in ("kernel_size", "stride", "padding")})


def _pool(layer, dims, what):
    window = _window(dims, 2, 2, "Added on each side, at most half the kernel")
    return LayerSpec(layer, "Pooling", what, params=window, shape=_pool_shape(layer, dims),
                     module=_pool_module(layer), key_params=("kernel_size",))


def _adaptive_shape(p, xs):
    x = need_rank(xs[0], "AdaptiveAvgPool2d", (3,), IMAGE, fix=square_reshape(xs[0], 3))
    return x.with_shape(x.shape[0], *pair(p["output_size"]))


def _adaptive_max_shape(p, xs):
    x = need_rank(xs[0], "AdaptiveMaxPool2d", (3,), IMAGE, fix=square_reshape(xs[0], 3))
    return x.with_shape(x.shape[0], *pair(p["output_size"]))


def _shuffle_shape(layer):
    def rule(p, xs):
        x = need_rank(xs[0], layer, (3,), IMAGE, fix=square_reshape(xs[0], 3))
        c, h, w = x.shape
        if layer == "PixelShuffle":
            r = p["upscale_factor"]
            if c % (r * r):
                raise ShapeError(f"PixelShuffle needs channels divisible by upscale_factor² ({r * r}); {x} has {c}")
            return x.with_shape(c // (r * r), h * r, w * r)
        r = p["downscale_factor"]
        if h % r or w % r:
            raise ShapeError(f"PixelUnshuffle needs the height and width divisible by downscale_factor ({r}); {x}")
        return x.with_shape(c * r * r, h // r, w // r)
    return rule


def _global_shape(p, xs):
    x = need_rank(xs[0], "GlobalAvgPool", (2, 3), f"{SIGNAL} or {IMAGE}")
    return x.with_shape(x.shape[0])


def _upsample_shape(p, xs):
    x = need_rank(xs[0], "Upsample", (2, 3), f"{SIGNAL} or {IMAGE}")
    if p["mode"] == "bilinear" and x.rank != 3:
        raise ShapeError(f"Upsample mode 'bilinear' needs {IMAGE}; use 'linear' for {x}")
    if p["mode"] == "linear" and x.rank != 2:
        raise ShapeError(f"Upsample mode 'linear' needs {SIGNAL}; use 'bilinear' for {x}")
    f = p["scale_factor"]
    return x.with_shape(x.shape[0], *(n * f for n in x.shape[1:]))


def _upsample_module(p, xs):
    kwargs = dict(scale_factor=float(p["scale_factor"]), mode=p["mode"])
    if p["mode"] != "nearest":
        kwargs["align_corners"] = p["align_corners"]
    return Ctor(nn("Upsample"), kwargs)


SPECS = [
    LayerSpec("Conv1d", "Convolution", "Slides learned filters along a sequence or signal",
              params=_conv_params(1), shape=_conv_shape("Conv1d", 1), module=_conv_module("Conv1d"),
              weights="matrix", key_params=("out_channels", "kernel_size")),
    LayerSpec("Conv2d", "Convolution", "Slides learned filters over an image to detect local patterns",
              params=_conv_params(2), shape=_conv_shape("Conv2d", 2), module=_conv_module("Conv2d"),
              weights="matrix", key_params=("out_channels", "kernel_size")),
    LayerSpec("ConvTranspose2d", "Convolution",
              "Learned upsampling: the reverse of a strided Conv2d (decoders, generators)",
              params=(Param("out_channels", "int", 16, "Number of output channels", min=1),
                      Param("kernel_size", "pair", 4, "Window size", min=1),
                      Param("stride", "pair", 2, "Upsampling factor", min=1),
                      Param("padding", "pair", 1, "Trimmed from each side of the output", min=0),
                      Param("output_padding", "pair", 0, "Extra rows/cols added to one side", min=0),
                      Param("bias", "bool", True, "Add a learned bias")),
              shape=_tconv_shape, weights="matrix", key_params=("out_channels", "stride"),
              module=lambda p, xs: Ctor(nn("ConvTranspose2d"), dict(
                  in_channels=xs[0].shape[0], **{k: p[k] for k in (
                      "out_channels", "kernel_size", "stride", "padding", "output_padding", "bias")}))),
    _pool("MaxPool1d", 1, "Keeps the largest value in each window along a sequence"),
    _pool("AvgPool1d", 1, "Averages each window along a sequence"),
    _pool("MaxPool2d", 2, "Keeps the largest value in each window: halves an image with the defaults"),
    _pool("AvgPool2d", 2, "Averages each window of an image"),
    LayerSpec("AdaptiveAvgPool2d", "Pooling", "Averages an image of any size down to a fixed size",
              params=(Param("output_size", "pair", 1, "Output height and width", min=1),),
              shape=_adaptive_shape, key_params=("output_size",),
              module=lambda p, xs: Ctor(nn("AdaptiveAvgPool2d"), dict(output_size=p["output_size"]))),
    LayerSpec("GlobalAvgPool", "Pooling", "Averages each channel to one number: [N, C, ...] to [N, C]",
              shape=_global_shape, module=lambda p, xs: Ctor(custom("GlobalAvgPool"), {})),
    LayerSpec("AdaptiveMaxPool2d", "Pooling", "Keeps the largest value of each region: any image size to a fixed one",
              params=(Param("output_size", "pair", 1, "Output height and width", min=1),),
              shape=_adaptive_max_shape, key_params=("output_size",),
              module=lambda p, xs: Ctor(nn("AdaptiveMaxPool2d"), dict(output_size=p["output_size"]))),
    LayerSpec("PixelShuffle", "Reshape", "Moves channels into space: [C·r², H, W] to [C, H·r, W·r] (sub-pixel"
              " upsampling)", params=(Param("upscale_factor", "int", 2, "r: how many times larger", min=1, max=16),),
              shape=_shuffle_shape("PixelShuffle"), key_params=("upscale_factor",),
              module=lambda p, xs: Ctor(nn("PixelShuffle"), dict(upscale_factor=p["upscale_factor"]))),
    LayerSpec("PixelUnshuffle", "Reshape", "Moves space into channels: [C, H·r, W·r] to [C·r², H, W]",
              params=(Param("downscale_factor", "int", 2, "r: how many times smaller", min=1, max=16),),
              shape=_shuffle_shape("PixelUnshuffle"), key_params=("downscale_factor",),
              module=lambda p, xs: Ctor(nn("PixelUnshuffle"), dict(downscale_factor=p["downscale_factor"]))),
    LayerSpec("Upsample", "Reshape", "Enlarges a signal or image by repeating or interpolating",
              params=(Param("scale_factor", "int", 2, "How many times larger", min=1, max=16),
                      Param("mode", "choice", "nearest", "nearest copies values; linear/bilinear blend",
                            choices=("nearest", "linear", "bilinear")),
                      Param("align_corners", "bool", False, "linear/bilinear: the corner values stay where they are"
                            " (the older interpolation; off is torch's default)")),
              shape=_upsample_shape, module=_upsample_module, key_params=("scale_factor",)),
]
