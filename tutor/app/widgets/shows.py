"""The values of a lesson's ```python show blocks drawn in place in the exercise pane: a tensor as a
picture (image-like) or a heatmap (a matrix), a (values, label) pair with its label, a list of
pairs as one batch of pictures with their labels (16 Fashion-MNIST samples and their classes).
Rich renderables only; the values come from the worker (tutor/prose.py) and their labels are
shown, never obeyed."""

from __future__ import annotations

import numpy as np
from rich.console import Group, RenderableType
from rich.text import Text

from tutor.render.heatmap import Heatmap
from tutor.render.pictures import Picture, is_image_like
from tutor.safetext import visible
from tutor.sandbox.values import TensorValue

MAX_HEIGHT = 12  # rows one picture may take in the exercise pane
MAX_ITEMS = 16  # pictures of one block


def _pair(value: object) -> tuple[np.ndarray, str] | None:
    if isinstance(value, TensorValue) and value.array is not None:
        return np.asarray(value.array), ""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], TensorValue) and value[0].array is not None:
        return np.asarray(value[0].array), visible(str(value[1]))[:40]
    return None


def _one(values: np.ndarray, caption: str) -> RenderableType:
    if values.dtype.kind == "c" or values.size == 0:
        return Text(f"({caption or 'value'}: nothing to draw)", style="dim")
    if is_image_like(values.shape):
        return Picture(values, caption, max_height=MAX_HEIGHT)
    if values.ndim <= 2:
        return Heatmap(values if values.ndim else values.reshape(1, 1), caption, max_height=MAX_HEIGHT)
    if values.ndim == 3:  # (N, H, W): a batch of greyscale images
        return Picture(values[:, None], caption, max_height=MAX_HEIGHT, limit=MAX_ITEMS)
    return Text(f"({caption or 'value'}: shape {tuple(values.shape)} is not drawn)", style="dim")


def drawing(value: object) -> RenderableType:
    """What a show block's value looks like in the pane."""
    pair = _pair(value)
    if pair is not None:
        return _one(*pair)
    items = [_pair(item) for item in value] if isinstance(value, (list, tuple)) else []
    if not items or any(item is None for item in items):
        return Text("(this block's value cannot be drawn)", style="dim")
    items = items[:MAX_ITEMS]
    shapes = {item[0].shape for item in items}
    if len(shapes) == 1 and is_image_like(items[0][0].shape) and items[0][0].ndim in (2, 3):
        batch = np.stack([item[0] if item[0].ndim == 3 else item[0][None] for item in items])
        labels = [label or f"[{index}]" for index, (_, label) in enumerate(items)]
        return Picture(batch, labels=labels, max_height=MAX_HEIGHT, limit=MAX_ITEMS)
    return Group(*(_one(*item) for item in items))
