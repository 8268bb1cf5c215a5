"""Array operations on motion: resampling, a model's input layout, crop/pad with masks,
normalisation, the resting face, mirroring."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.errors import TdmmError
from tdmm_lm.limits import check_limit
from tdmm_lm.motion.formats import ARKIT_BLENDSHAPES, get_format
from tdmm_lm.motion.types import Motion

STD_FLOOR = 1e-3  # channels that barely move (tongueOut) must not blow up after normalising


# ---- resampling -------------------------------------------------------------------------------

def resample(motion: Motion, fps: float) -> Motion:
    """The motion at another frame rate, by interpolation (any ratio, up or down).

    Frames land at ``t = i / fps`` and never past the last input frame, so 328 frames at 60 fps
    become 110 at 20 fps (like ``[::3]``). Scalar channels interpolate linearly; FLAME axis-angle
    rotations (jaw, head, eyes) interpolate on the rotation group (slerp), which linear
    interpolation of axis-angle vectors gets wrong for large angles.
    """
    if not (np.isfinite(fps) and fps > 0):
        raise TdmmError(f"target fps must be a positive number, got {fps}")
    check_limit("fps", fps, "target fps")
    if fps == motion.fps:
        return motion.replace()
    t_in = np.arange(motion.num_frames) / motion.fps
    n_out = int(np.floor((motion.num_frames - 1) * fps / motion.fps + 1e-9)) + 1
    check_limit("motion_frames", n_out, f"resampling {motion.num_frames} frames to {fps:g} fps")
    t_out = np.arange(n_out) / fps
    out = np.empty((n_out, motion.data.shape[1]), dtype=np.float32)
    rotations = _rotation_triplets(motion)
    rotation_cols = {c for triplet in rotations for c in triplet}
    for col in range(motion.data.shape[1]):
        if col not in rotation_cols:
            out[:, col] = np.interp(t_out, t_in, motion.data[:, col])
    for triplet in rotations:
        vectors = motion.data[:, list(triplet)].astype(np.float64)
        if motion.num_frames == 1:
            out[:, list(triplet)] = vectors
            continue
        slerp = Slerp(t_in, Rotation.from_rotvec(vectors))
        out[:, list(triplet)] = slerp(t_out).as_rotvec()
    meta = {k: v for k, v in motion.meta.items() if k != "timecodes"}  # old stamps no longer fit
    return motion.replace(data=out, fps=float(fps), meta=meta)


def prepare_motion(motion: Motion, format: str, channels: tuple[str, ...], fps: float) -> np.ndarray:
    """``motion`` as raw ``[T, D]`` parameters in ``channels`` order at ``fps`` (resampled): the
    input layout of a model trained on ``format`` motion with those channels."""
    if motion.format.name != format:
        raise TdmmError(f"this model reads {format} motion, got {motion.format.name}")
    if motion.channels != tuple(channels):
        missing = [c for c in channels if c not in motion.channels]
        if missing:
            raise TdmmError(f"motion lacks channels the model needs: {missing[:5]}"
                            f"{' ...' if len(missing) > 5 else ''}")
        motion = motion.replace(data=motion.data[:, [motion.index(c) for c in channels]],
                                channels=tuple(channels))
    if motion.fps != fps:
        motion = resample(motion, fps)
    return motion.data


def _rotation_triplets(motion: Motion) -> list[tuple[int, int, int]]:
    """Column triplets holding FLAME axis-angle vectors (none for arkit61's Euler angles)."""
    if motion.format.name != "flame":
        return []
    triplets = []
    for prefix, count in (("jaw", 1), ("head", 1), ("eye", 2)):
        for k in range(count):
            names = [f"{prefix}_{3 * k + i}" for i in range(3)]
            if all(n in motion.channels for n in names):
                triplets.append(tuple(motion.channels.index(n) for n in names))
    return triplets


# ---- crop and pad -----------------------------------------------------------------------------

def crop(motion: Motion, start: int, length: int) -> Motion:
    """Frames ``start .. start+length`` (clipped to the motion)."""
    if start < 0 or length <= 0:
        raise TdmmError(f"crop needs start >= 0 and length > 0, got {start}, {length}")
    meta = dict(motion.meta)
    if "timecodes" in meta:
        meta["timecodes"] = meta["timecodes"][start:start + length]
    return motion.replace(data=motion.data[start:start + length], meta=meta)


def windows(motion: Motion, seconds: float) -> list[tuple[float, Motion]]:
    """``(start_s, piece)`` of equal consecutive pieces of at most ``seconds`` each covering the
    whole motion (one piece, the motion itself, when it fits): a long take cut into what a model
    reads at once, with no short leftover at the end."""
    if seconds <= 0:
        raise TdmmError(f"windows need a positive length, got {seconds} s")
    per_window = max(1, int(seconds * motion.fps))
    count = -(-motion.num_frames // per_window)
    if count <= 1:
        return [(0.0, motion)]
    length = -(-motion.num_frames // count)
    return [(start / motion.fps, crop(motion, start, length))
            for start in range(0, motion.num_frames, length)]


def random_crop(data: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A random window of ``length`` frames from ``data[T, D]`` (all of it when shorter)."""
    if len(data) <= length:
        return data
    start = int(rng.integers(0, len(data) - length + 1))
    return data[start:start + length]


def pad_to(data: np.ndarray, length: int, *, mode: str = "zeros") -> tuple[np.ndarray, np.ndarray]:
    """``data[T, D]`` cropped or padded at the end to ``[length, D]``, with a mask ``[length]``.

    The mask is True on real frames. ``mode="edge"`` repeats the last frame instead of zeros
    (a resting face is closer to the last frame than to all-zero parameters).
    """
    if mode not in ("zeros", "edge"):
        raise TdmmError(f"pad mode must be 'zeros' or 'edge', got {mode!r}")
    n = min(len(data), length)
    out = np.zeros((length, data.shape[1]), dtype=data.dtype)
    out[:n] = data[:n]
    if mode == "edge" and 0 < n < length:
        out[n:] = data[n - 1]
    mask = np.zeros(length, dtype=bool)
    mask[:n] = True
    return out, mask


def pad_batch(arrays: list[np.ndarray], length: int | None = None, *, mode: str = "zeros"
              ) -> tuple[np.ndarray, np.ndarray]:
    """Stack ragged ``[T_i, D]`` arrays into ``[B, L, D]`` and masks ``[B, L]`` (L = longest)."""
    if not arrays:
        raise TdmmError("pad_batch needs at least one array")
    length = length or max(len(a) for a in arrays)
    padded = [pad_to(a, length, mode=mode) for a in arrays]
    return np.stack([p[0] for p in padded]), np.stack([p[1] for p in padded])


# ---- normalisation ----------------------------------------------------------------------------

@dataclass
class Normalizer:
    """Per-channel z-scoring with a floor on the standard deviation.

    Fit it on the training split only: statistics that include test data leak it into every model
    (the Express4D reference code z-scores train and test together).
    """

    mean: np.ndarray  # [D]
    std: np.ndarray   # [D], already floored
    channels: tuple[str, ...]
    format: str

    @classmethod
    def fit(cls, arrays: Iterable[np.ndarray], channels: tuple[str, ...], format: str,
            std_floor: float = STD_FLOOR) -> Normalizer:
        """Statistics over all frames of ``arrays`` (each ``[T_i, D]``), in float64."""
        count, total, total_sq = 0, 0.0, 0.0
        for a in arrays:
            a = np.asarray(a, dtype=np.float64)
            count += len(a)
            total = total + a.sum(axis=0)
            total_sq = total_sq + (a * a).sum(axis=0)
        if count == 0:
            raise TdmmError("cannot fit a normaliser on zero frames")
        mean = total / count
        var = np.maximum(total_sq / count - mean * mean, 0.0)
        std = np.maximum(np.sqrt(var), std_floor)
        return cls(mean.astype(np.float32), std.astype(np.float32), tuple(channels), format)

    def normalize(self, data):
        """``(data - mean) / std`` for numpy arrays or torch tensors ``[..., D]``."""
        mean, std = self._stats_like(data)
        return (data - mean) / std

    def denormalize(self, data):
        mean, std = self._stats_like(data)
        return data * std + mean

    def check(self, motion: Motion) -> None:
        """Refuse a motion whose format or channels differ from the fitted ones."""
        if motion.format.name != self.format or motion.channels != self.channels:
            raise TdmmError(f"normaliser was fitted on {self.format} with {len(self.channels)} "
                            f"channels; got {motion.format.name} with {len(motion.channels)}")

    def save(self, path: str | Path) -> None:
        atomic_write_text(Path(path), json.dumps({
            "format": self.format, "channels": list(self.channels),
            "mean": self.mean.tolist(), "std": self.std.tolist()}, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> Normalizer:
        try:
            raw = json.loads(Path(path).read_text())
            return cls(np.asarray(raw["mean"], np.float32), np.asarray(raw["std"], np.float32),
                       tuple(raw["channels"]), raw["format"])
        except (OSError, ValueError, KeyError) as e:
            raise TdmmError(f"{path}: not a normaliser JSON ({e})") from None

    def _stats_like(self, data):
        if isinstance(data, np.ndarray):
            return self.mean, self.std
        import torch  # only when given tensors
        return (torch.as_tensor(self.mean, device=data.device, dtype=data.dtype),
                torch.as_tensor(self.std, device=data.device, dtype=data.dtype))


# ---- resting face -----------------------------------------------------------------------------

def resting_face(motion: Motion) -> np.ndarray:
    """Each channel's median over ``motion`` ``[C]``: a take's resting face.

    Real performers rest away from 0 (a resting mouth stretch, squint or upward gaze of 0.1-0.4 in
    the shared takes) and a take is mostly rest, so its median is its neutral pose. A short clip
    held in one expression for most of its length is not a take: its median is the expression."""
    return np.median(motion.data, axis=0).astype(np.float32)


def above_rest(motion: Motion, rest: np.ndarray, *, rotations: bool = True) -> Motion:
    """``motion`` relative to the resting face ``rest [C]`` (``resting_face``), the way Live Link
    Face's neutral-pose calibration reads a performer: ARKit blendshapes become their rise above
    rest (clipped at 0: a fall below rest is no action), and with ``rotations`` the head and eye
    angles their offset from it. Only ``arkit61`` motion: FLAME parameters already rest at 0."""
    if motion.format.name != "arkit61":
        raise TdmmError(f"resting-face calibration needs arkit61 motion, got {motion.format.name}")
    if np.shape(rest) != (motion.data.shape[1],):
        raise TdmmError(f"resting face has {np.size(rest)} values, the motion "
                        f"{motion.data.shape[1]} channels")
    nb = len(ARKIT_BLENDSHAPES)
    data = motion.data.copy()
    data[:, :nb] = np.clip(data[:, :nb] - rest[:nb], 0.0, None)
    if rotations:
        data[:, nb:] = data[:, nb:] - rest[nb:]
    return motion.replace(data=data)


def take_resting_face(pieces: list[Motion]) -> np.ndarray:
    """The resting face (``resting_face``) of a take cut into ``pieces`` (``load_pieces``)."""
    return resting_face(pieces[0].replace(data=np.concatenate([m.data for m in pieces])))


def calibrate(pieces: list[Motion]) -> list[Motion]:
    """The pieces of one take (``load_pieces``), each relative to the whole take's resting face."""
    rest = take_resting_face(pieces)
    return [above_rest(m, rest) for m in pieces]


# ---- mirroring --------------------------------------------------------------------------------

def mirror(motion: Motion) -> Motion:
    """The same performance with left and right swapped; ``mirror(mirror(m))`` equals ``m``.

    Paired channels swap (eyeBlinkLeft <-> eyeBlinkRight, leftEyeYaw <-> rightEyeYaw, eye_0..2 <->
    eye_3..5) and yaw/roll components change sign. FLAME expression coefficients are a PCA basis
    with no left/right pairing, so a FLAME motion with any non-zero expression cannot be mirrored
    without the model's basis and is refused.
    """
    fmt = get_format(motion.format)
    if fmt.name == "flame":
        expr = [i for i, c in enumerate(motion.channels) if re.fullmatch(r"expr_\d+", c)]
        if np.any(motion.data[:, expr] != 0):
            raise TdmmError("cannot mirror FLAME expression coefficients without the model's "
                            "mirrored basis; mirror the ARKit source or the vertices instead")
    index = {c: i for i, c in enumerate(motion.channels)}
    source = [index[fmt.mirror_partner(c)] for c in motion.channels]
    signs = np.array([fmt.mirror_sign(c) for c in motion.channels], dtype=np.float32)
    return motion.replace(data=motion.data[:, source] * signs)
