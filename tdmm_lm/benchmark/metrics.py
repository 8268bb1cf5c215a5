"""Benchmark metrics as pure numpy functions, with the semantics of the HumanML3D reference code
(``utils/metrics.py`` of text-to-motion, copied unchanged by MDM, T2M-GPT and Express4D).

    mu, cov = activation_statistics(feats)                 # feats [N, D]
    fid = frechet_distance(mu_gt, cov_gt, mu, cov)
    top = r_precision(text_emb, motion_emb)                # [3]: top-1/2/3, batches of 32
    mm_dist = matching_score(text_emb, motion_emb)
    div = diversity(feats, 48, rng); mm = multimodality(feats_nrd, 10, rng)
    mean, ci = replicate(values)                           # 95% CI = 1.96 std / sqrt(reps)

The TDMM-LM measures (``parameter_l2``, ``token_accuracy``, ``frame_frechet``) compare a
generated motion with its reference; the vertex and lip errors live in ``geometry_errors``.
Every function here is deterministic given its inputs (random ones take an explicit ``rng``).
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
from scipy import linalg

FID_EPS = 1e-6  # the reference's diagonal offset when sqrtm of the covariance product fails
IMAG_ATOL = 1e-3  # the reference tolerates this much imaginary diagonal in sqrtm's result


def activation_statistics(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``[D]`` and covariance ``[D, D]`` (``np.cov(rowvar=False)``: N-1 denominator)."""
    feats = np.asarray(feats, dtype=np.float64)
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray,
                     eps: float = FID_EPS) -> float:
    """Fréchet distance between two Gaussians:
    ``|mu1 - mu2|^2 + tr(cov1) + tr(cov2) - 2 tr(sqrtm(cov1 cov2))``.

    As the reference: if ``sqrtm`` returns non-finite values, ``eps`` is added to both diagonals
    and it is retried; an imaginary part is dropped when the diagonal's imaginary part is within
    1e-3 of zero, otherwise it is an error.
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    cov1, cov2 = np.atleast_2d(cov1).astype(np.float64), np.atleast_2d(cov2).astype(np.float64)
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape:
        raise ValueError(f"mismatched statistics: {mu1.shape}/{mu2.shape}, {cov1.shape}/{cov2.shape}")
    diff = mu1 - mu2
    covmean = linalg.sqrtm(cov1.dot(cov2))
    if not np.isfinite(covmean).all():
        offset = np.eye(cov1.shape[0]) * eps
        covmean = linalg.sqrtm((cov1 + offset).dot(cov2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=IMAG_ATOL):
            raise ValueError(f"imaginary component {np.max(np.abs(covmean.imag))} in sqrtm")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(cov1) + np.trace(cov2) - 2 * np.trace(covmean))


def euclidean_distance_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[N1, N2]`` Euclidean distances between rows of ``a [N1, D]`` and ``b [N2, D]``, computed
    as the reference does (``sqrt(-2 a b^T + |a|^2 + |b|^2)``); tiny negative squares from
    rounding are clipped to 0 where the reference would return NaN."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d = -2 * a @ b.T + np.sum(a * a, axis=1, keepdims=True) + np.sum(b * b, axis=1)
    return np.sqrt(np.maximum(d, 0.0))


def _full_batches(n: int, batch_size: int) -> list[slice]:
    """Consecutive batches of exactly ``batch_size`` rows; the rest is dropped (``drop_last``)."""
    if n < batch_size:
        raise ValueError(f"R-precision needs at least one full batch of {batch_size} rows, got {n}")
    return [slice(s, s + batch_size) for s in range(0, n - batch_size + 1, batch_size)]


def r_precision(text_emb: np.ndarray, motion_emb: np.ndarray, top_k: int = 3,
                batch_size: int = 32) -> np.ndarray:
    """``[top_k]``: share of texts whose own motion is among the ``k`` nearest motions of its
    batch (k = 1..top_k), over consecutive batches of exactly ``batch_size`` rows in the given
    order (shuffle the rows beforehand, as the reference's data loader does)."""
    hits, rows = np.zeros(top_k), 0
    for batch in _full_batches(len(text_emb), batch_size):
        order = np.argsort(euclidean_distance_matrix(text_emb[batch], motion_emb[batch]), axis=1)
        own = order[:, :top_k] == np.arange(batch_size)[:, None]
        hits += np.logical_or.accumulate(own, axis=1).sum(axis=0)
        rows += batch_size
    return hits / rows


def matching_score(text_emb: np.ndarray, motion_emb: np.ndarray, batch_size: int = 32) -> float:
    """MM-Dist: the mean distance between a text and its own motion, over the same full batches
    as ``r_precision`` (sum of the batch distance matrices' traces / rows)."""
    total, rows = 0.0, 0
    for batch in _full_batches(len(text_emb), batch_size):
        total += np.trace(euclidean_distance_matrix(text_emb[batch], motion_emb[batch]))
        rows += batch_size
    return float(total / rows)


def diversity(feats: np.ndarray, times: int, rng: np.random.Generator) -> float:
    """Mean distance between ``times`` random pairs of rows of ``feats [N, D]`` (two draws of
    ``times`` distinct indices each, as the reference)."""
    n = len(feats)
    if n <= times:
        raise ValueError(f"diversity needs more than {times} samples, got {n}")
    first = rng.choice(n, times, replace=False)
    second = rng.choice(n, times, replace=False)
    return float(np.linalg.norm(feats[first] - feats[second], axis=1).mean())


def multimodality(feats: np.ndarray, times: int, rng: np.random.Generator) -> float:
    """Mean distance between generations of the same text: ``feats [N, R, D]`` holds R
    generations per text; ``times`` random pairs of generation indices, shared by all texts."""
    if feats.ndim != 3:
        raise ValueError(f"multimodality needs feats [N, R, D], got shape {feats.shape}")
    r = feats.shape[1]
    if r <= times:
        raise ValueError(f"multimodality needs more than {times} generations per text, got {r}")
    first = rng.choice(r, times, replace=False)
    second = rng.choice(r, times, replace=False)
    return float(np.linalg.norm(feats[:, first] - feats[:, second], axis=2).mean())


def replicate(values: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over replications (axis 0) and the 95% half-width ``1.96 std / sqrt(reps)``
    (population std, ``ddof=0``, as the reference)."""
    values = np.asarray(values, dtype=np.float64)
    reps = values.shape[0]
    return values.mean(axis=0), 1.96 * values.std(axis=0) / np.sqrt(reps)


# ---- TDMM-LM measures: a generated motion against its reference -------------------------------

_POSE_CHANNEL = re.compile(r"(head|jaw|eye)_\d|head(Yaw|Pitch|Roll)|(left|right)Eye(Yaw|Pitch|Roll)")


def pose_mask(channels: Sequence[str]) -> np.ndarray:
    """``[D]`` bool: rotation channels (ARKit head/eye angles; FLAME jaw/head/eye axis-angle).
    The rest (blendshapes, expression coefficients, eyelids) is "expression"."""
    return np.array([bool(_POSE_CHANNEL.fullmatch(c)) for c in channels])


def parameter_l2(generated: Sequence[np.ndarray], reference: Sequence[np.ndarray],
                 channels: Sequence[str]) -> dict[str, float]:
    """Mean per-frame L2 error of the raw parameters, expression and pose separately.

    Each pair ``[T_g, D]`` / ``[T_r, D]`` is aligned on its first ``min(T_g, T_r)`` frames;
    the means are over all aligned frames of all pairs.
    """
    pose = pose_mask(channels)
    sums = {"expression": 0.0, "pose": 0.0}
    frames = 0
    for g, r in zip(generated, reference, strict=True):
        n = min(len(g), len(r))
        d = np.asarray(g[:n], np.float64) - np.asarray(r[:n], np.float64)
        sums["expression"] += np.linalg.norm(d[:, ~pose], axis=1).sum()
        sums["pose"] += np.linalg.norm(d[:, pose], axis=1).sum()
        frames += n
    return {k: float(v / max(frames, 1)) for k, v in sums.items()}


def token_accuracy(generated: Sequence[Sequence[int]], reference: Sequence[Sequence[int]]) -> float:
    """Share of reference tokens matched at the same position by the generated tokens (a
    generated sequence shorter than its reference counts the missing tokens as wrong)."""
    hits = total = 0
    for g, r in zip(generated, reference, strict=True):
        n = min(len(g), len(r))
        hits += int(np.sum(np.asarray(g[:n]) == np.asarray(r[:n])))
        total += len(r)
    return hits / max(total, 1)


def frame_frechet(generated: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> float:
    """Fréchet distance between the distributions of single frames (rows of ``[T, D]`` arrays
    pooled over clips): an evaluator-free check of the pose distribution. Pass normalised
    parameters so that every channel weighs alike."""
    return frechet_distance(*activation_statistics(np.concatenate(list(generated))),
                            *activation_statistics(np.concatenate(list(reference))))


def vertex_errors(geometry, generated: Sequence[np.ndarray], reference: Sequence[np.ndarray], *,
                  face_vertices: int = 400, seed: int = 0) -> dict[str, float]:
    """Vertex errors (mm) of generated vs reference motions through a ``FaceGeometry``.

    Pairs ``[T, D]`` are aligned on their common first frames. Returns ``vertex_mm`` (mean error
    over a fixed motion-weighted subset of ``face_vertices`` face vertices: 400 give the mean
    of 1000 within ~1% at less than half the cost), ``vertex_relative`` (mean error / mean reference displacement
    from neutral, 1 = no better than a resting face) and ``lip_vertex_mm`` (per-frame worst lip
    vertex averaged over frames, the "lip vertex error" of speech-animation papers, all lip
    vertices).
    """
    import torch
    from tdmm_lm.geometry.metrics import vertex_error

    lips = np.asarray(geometry.regions["lips"])
    face = geometry.vertex_subset(face_vertices, seed, weighted=True).numpy()
    ids = np.union1d(face, lips)
    regions = {"face": np.searchsorted(ids, face), "lips": np.searchsorted(ids, lips)}
    neutral = geometry.neutral_vertices()[torch.as_tensor(ids)]
    acc = {"vertex_mm": 0.0, "displacement_mm": 0.0, "lip_vertex_mm": 0.0}
    frames = 0
    with torch.no_grad():
        for g, r in zip(generated, reference, strict=True):   # a pair per call: padded
            n = min(len(g), len(r))                               # batches were slower here
            pair = torch.from_numpy(np.stack([g[:n], r[:n]]).astype(np.float32))
            verts = geometry.vertices(pair, vertex_ids=torch.as_tensor(ids))
            stats = vertex_error(verts[:1], verts[1:], mm_per_unit=geometry.mm_per_unit,
                                 regions=regions, neutral=neutral)
            acc["vertex_mm"] += stats["face"]["mean_mm"] * n
            acc["displacement_mm"] += stats["face"]["displacement_mm"] * n
            acc["lip_vertex_mm"] += stats["lips"]["frame_max_mm"] * n
            frames += n
    out = {k: v / max(frames, 1) for k, v in acc.items()}
    out["vertex_relative"] = out["vertex_mm"] / out.pop("displacement_mm") if frames else float("nan")
    return out
