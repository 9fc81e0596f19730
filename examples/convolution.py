"""Convolution and pooling: oriented filters over an image, then max-pooling (nnc.extensions.convolution).

A 64x64 grey-level image (drawn in NumPy: a disk, a square, and patches of horizontal, vertical and
oblique gratings, with a little noise) is the rate ``r`` of an input population. A ``Convolution``
projection applies a bank of four 7x7 Gabor filters (orientations 0, 45, 90 and 135 degrees, zero mean;
``padding='border'`` repeats the edge pixels) and writes them to the last dimension of a (64, 64, 4)
population of rectified units ``r = pos(sum(exc))``. A ``Pooling`` projection takes the maximum over
boxes of 4x4 units of each map into a (16, 16, 4) population. Both projections share their weights
between all post-synaptic neurons (no synapse lists, the extension's own storage format).

The script checks the feature maps against ``scipy.signal.correlate`` on the padded image and the
pooled maps against NumPy (both to rounding), and prints which filter answers most in each grating
patch: each patch should select the filter of its orientation (a filter of orientation theta has its
stripes along theta, so it answers gratings whose stripes run that way; angles are measured from the
rows, clockwise as the image is drawn, rows downwards).

    python examples/convolution.py [--quick]    # three steps of 1 ms (quick as well)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report
from scipy.signal import correlate

import nnc as ann
from nnc.extensions.convolution import Convolution, Pooling

args = options(__doc__)
SIZE, K, POOL = 64, 7, 4
ANGLES = (0.0, 45.0, 90.0, 135.0)

# the image
y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
image = np.full((SIZE, SIZE), 0.2)
image[(x - 14) ** 2 + (y - 14) ** 2 < 9**2] = 0.9  # a disk
image[6:22, 40:56] = 0.6  # a square
PATCHES = {  # grating patches: (rows, columns, orientation of the stripes in degrees)
    "horizontal": (slice(36, 60), slice(4, 28), 0.0),
    "vertical": (slice(36, 60), slice(36, 60), 90.0),
    "oblique (45 degrees)": (slice(26, 34), slice(4, 60), 45.0),
}
for rows, cols, theta in PATCHES.values():
    a = np.deg2rad(theta)
    # stripes along the direction theta: the intensity varies across it
    phase = (-np.sin(a) * x[rows, cols] + np.cos(a) * y[rows, cols]) * 2.0 * np.pi / 6.0
    image[rows, cols] = 0.5 + 0.4 * np.sin(phase)
image += 0.03 * np.random.default_rng(2).standard_normal(image.shape)


def gabor(theta: float) -> np.ndarray:
    """A 7x7 zero-mean Gabor filter whose stripes run along ``theta`` (degrees; 0: horizontal)."""
    a = np.deg2rad(theta)
    v, u = np.mgrid[-(K // 2) : K // 2 + 1, -(K // 2) : K // 2 + 1].astype(np.float64)
    across = -np.sin(a) * u + np.cos(a) * v
    g = np.exp(-(u**2 + v**2) / (2 * 2.0**2)) * np.cos(2.0 * np.pi * across / 6.0)
    return (g - g.mean()) / np.abs(g).sum()


bank = np.stack([gabor(theta) for theta in ANGLES])  # (4, 7, 7)

net = ann.Network(dt=1.0, seed=1)
pixels = net.create((SIZE, SIZE), ann.Neuron(parameters="r = 0.0"), name="image")
features = net.create((SIZE, SIZE, len(ANGLES)), ann.Neuron(equations="r = pos(sum(exc))"), name="features")
pooled = net.create(
    (SIZE // POOL, SIZE // POOL, len(ANGLES)), ann.Neuron(equations="r = sum(exc)"), name="pooled"
)
net.connect(Convolution(pixels, features, "exc")).connect_filters(bank, padding="border")
net.connect(Pooling(features, pooled, "exc", operation="max")).pooling((POOL, POOL, 1))

net.config(num_threads=args.threads)
net.compile()
pixels.r = image
net.simulate(3.0)  # the image reaches the features after one step and the pooled maps after two
maps = np.asarray(features.r)  # (64, 64, 4)
pool_maps = np.asarray(pooled.r)  # (16, 16, 4)

# the same computation in SciPy and NumPy
half = K // 2
padded = np.pad(image, half, mode="edge")
want_maps = np.stack(
    [np.maximum(correlate(padded, w, mode="valid", method="direct"), 0.0) for w in bank], axis=-1
)
want_pool = want_maps.reshape(SIZE // POOL, POOL, SIZE // POOL, POOL, len(ANGLES)).max(axis=(1, 3))
conv_error = float(np.max(np.abs(maps - want_maps)))
pool_error = float(np.max(np.abs(pool_maps - want_pool)))

winners, matched = {}, 0
for name, (rows, cols, theta) in PATCHES.items():
    inner = (slice(rows.start + half, rows.stop - half), slice(cols.start + half, cols.stop - half))
    energy = maps[inner].mean(axis=(0, 1))
    winners[name] = ANGLES[int(np.argmax(energy))]
    matched += winners[name] == theta


def figure():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 5, figsize=(12, 8.2), width_ratios=[1.3, 1, 1, 1, 1])
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].imshow(image, cmap="gray", vmin=0.0, vmax=1.0)
    axes[0, 0].set_title("input image (64x64)")
    axes[1, 0].set_visible(False)
    axes[2, 0].set_visible(False)
    top = float(maps.max())
    for f, theta in enumerate(ANGLES):
        axes[0, f + 1].imshow(bank[f], cmap="RdBu_r", vmin=-np.abs(bank).max(), vmax=np.abs(bank).max())
        axes[0, f + 1].set_title(f"filter {theta:g} degrees")
        axes[1, f + 1].imshow(maps[:, :, f], cmap="magma", vmin=0.0, vmax=top)
        axes[1, f + 1].set_title("feature map (64x64)")
        axes[2, f + 1].imshow(pool_maps[:, :, f], cmap="magma", vmin=0.0, vmax=top)
        axes[2, f + 1].set_title(f"max-pooled {POOL}x{POOL} (16x16)")
    fig.suptitle(
        "Convolution with a bank of Gabor filters, then Pooling: each grating lights up its filter's map"
    )
    fig.tight_layout()
    return fig


numbers: dict[str, object] = {
    "largest difference of the feature maps from SciPy": conv_error,
    "largest difference of the pooled maps from NumPy": pool_error,
}
for name, theta in winners.items():
    numbers[f"strongest filter on the {name} grating (degrees)"] = theta
numbers["gratings that select the filter of their orientation"] = matched
report(args, numbers, figure)
