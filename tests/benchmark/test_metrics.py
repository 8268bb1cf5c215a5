"""Each metric against a straightforward implementation written here, on seeded random inputs."""

import math
import statistics

import numpy as np
import pytest

from tdmm_lm.benchmark import metrics as M
from tdmm_lm.motion.formats import ARKIT61_CHANNELS, flame_channels

TOL = 1e-6


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def _dist(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))


def test_activation_statistics(rng):
    feats = rng.normal(size=(40, 5))
    mu, cov = M.activation_statistics(feats)
    n = len(feats)
    means = [sum(row[j] for row in feats) / n for j in range(5)]
    for i in range(5):
        assert abs(mu[i] - means[i]) < TOL
        for j in range(5):
            c = sum((row[i] - means[i]) * (row[j] - means[j]) for row in feats) / (n - 1)
            assert abs(cov[i, j] - c) < TOL


def test_frechet_distance_matches_eigenvalue_formula(rng):
    a, b = rng.normal(size=(60, 6)), rng.normal(0.5, 1.5, size=(70, 6)) @ rng.normal(size=(6, 6))
    mu1, c1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, c2 = b.mean(0), np.cov(b, rowvar=False)
    # tr sqrt(C1 C2) = sum of square roots of the eigenvalues of C1 C2 (real, >= 0 for SPD)
    eig = np.linalg.eigvals(c1 @ c2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(c1) + np.trace(c2) - 2 * np.sum(np.sqrt(np.clip(eig, 0, None)))
    assert abs(M.frechet_distance(mu1, c1, mu2, c2) - expected) < TOL * max(1.0, abs(expected))
    assert abs(M.frechet_distance(mu1, c1, mu1, c1)) < TOL


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_frechet_distance_retries_with_the_eps_offset():
    # sqrtm of a nilpotent product is not finite: the reference adds eps to both diagonals
    c1, c2 = np.array([[0.0, 1.0], [0.0, 0.0]]), np.eye(2)
    eps = M.FID_EPS
    a = eps * (1 + eps)      # (c1 + eps I)(c2 + eps I) is upper triangular with diagonal a
    want = 2.0 + 0.0 + 2.0 - 2 * (2 * math.sqrt(a))
    with np.errstate(all="ignore"):
        got = M.frechet_distance(np.zeros(2), c1, np.array([1.0, 1.0]), c2)
    assert abs(got - want) < TOL


def test_euclidean_distance_matrix(rng):
    a, b = rng.normal(size=(7, 4)), rng.normal(size=(5, 4))
    d = M.euclidean_distance_matrix(a, b)
    for i in range(7):
        for j in range(5):
            assert abs(d[i, j] - _dist(a[i], b[j])) < TOL


def _reference_r_precision(text, motion, top_k, batch):
    hits, rows = [0] * top_k, 0
    for start in range(0, len(text) - batch + 1, batch):
        for i in range(batch):
            dists = [_dist(text[start + i], motion[start + j]) for j in range(batch)]
            rank = sorted(range(batch), key=lambda j: dists[j]).index(i)
            for k in range(top_k):
                hits[k] += rank <= k
            rows += 1
    return [h / rows for h in hits]


def test_r_precision_and_matching_score(rng):
    motion = rng.normal(size=(100, 8))           # 3 full batches of 32; 4 rows dropped
    text = motion + rng.normal(0, 1.2, size=motion.shape)
    got = M.r_precision(text, motion, top_k=3, batch_size=32)
    want = _reference_r_precision(text, motion, 3, 32)
    assert np.allclose(got, want, atol=TOL)
    assert 0 < got[0] < got[1] < got[2] < 1      # the inputs are informative, not trivial
    traces = sum(_dist(text[i], motion[i]) for i in range(96))
    assert abs(M.matching_score(text, motion, 32) - traces / 96) < TOL


def test_r_precision_needs_a_full_batch(rng):
    with pytest.raises(ValueError, match="full batch"):
        M.r_precision(rng.normal(size=(10, 3)), rng.normal(size=(10, 3)))


def test_diversity_and_multimodality(rng):
    feats = rng.normal(size=(60, 4))
    got = M.diversity(feats, 10, np.random.default_rng(7))
    draw = np.random.default_rng(7)
    first, second = draw.choice(60, 10, replace=False), draw.choice(60, 10, replace=False)
    want = sum(_dist(feats[i], feats[j]) for i, j in zip(first, second)) / 10
    assert abs(got - want) < TOL

    gen = rng.normal(size=(6, 12, 3))
    got = M.multimodality(gen, 5, np.random.default_rng(3))
    draw = np.random.default_rng(3)
    first, second = draw.choice(12, 5, replace=False), draw.choice(12, 5, replace=False)
    want = sum(_dist(gen[n, i], gen[n, j]) for n in range(6) for i, j in zip(first, second)) / 30
    assert abs(got - want) < TOL
    with pytest.raises(ValueError):
        M.multimodality(gen, 12, np.random.default_rng(0))


def test_replicate(rng):
    values = rng.normal(3.0, 0.5, size=20)
    mean, ci = M.replicate(values)
    assert abs(mean - statistics.fmean(values)) < TOL
    assert abs(ci - 1.96 * statistics.pstdev(values) / math.sqrt(20)) < TOL


def test_pose_mask_separates_rotations():
    arkit = M.pose_mask(ARKIT61_CHANNELS)
    assert arkit.sum() == 9 and not arkit[:52].any()
    flame = M.pose_mask(flame_channels(50, eyes=True))
    assert flame.sum() == 12 and not flame[:50].any()


def test_parameter_l2_aligns_lengths(rng):
    channels = ARKIT61_CHANNELS
    gen = [rng.random((10, 61)), rng.random((7, 61))]
    ref = [rng.random((8, 61)), rng.random((9, 61))]
    got = M.parameter_l2(gen, ref, channels)
    pose = [i for i, c in enumerate(channels) if i >= 52]
    expr = [i for i in range(61) if i < 52]
    frames, se, sp = 0, 0.0, 0.0
    for g, r in zip(gen, ref):
        for t in range(min(len(g), len(r))):
            se += _dist(g[t, expr], r[t, expr])
            sp += _dist(g[t, pose], r[t, pose])
            frames += 1
    assert abs(got["expression"] - se / frames) < TOL
    assert abs(got["pose"] - sp / frames) < TOL


def test_token_accuracy():
    assert M.token_accuracy([[1, 2, 3, 4]], [[1, 2, 0, 4]]) == 0.75
    # a short generation counts its missing tokens as wrong; extra tokens are ignored
    assert M.token_accuracy([[1, 2], [5, 6, 7, 8]], [[1, 2, 3, 4], [5, 6]]) == 4 / 6


def test_frame_frechet_pools_frames(rng):
    gen, ref = [rng.normal(size=(30, 3)), rng.normal(size=(20, 3))], [rng.normal(1, 1, size=(40, 3))]
    pooled = np.concatenate(gen)
    want = M.frechet_distance(pooled.mean(0), np.cov(pooled, rowvar=False),
                              ref[0].mean(0), np.cov(ref[0], rowvar=False))
    assert abs(M.frame_frechet(gen, ref) - want) < TOL


@pytest.fixture(scope="module")
def geometry():
    from tdmm_lm.geometry import FaceGeometry
    from tdmm_lm.geometry.procedural_rig import procedural_rig
    return FaceGeometry.for_format("arkit61", rig=procedural_rig())


def test_vertex_errors(geometry, rng):
    ref = [np.clip(rng.random((12, 61)) * 0.5, 0, 1).astype(np.float32)]
    ref[0][:, 52:] = 0.0   # no head rotation: the neutral face below is then exactly "zeros"
    same = M.vertex_errors(geometry, ref, ref)
    assert same["vertex_mm"] == 0 and same["lip_vertex_mm"] == 0
    # the resting face is no better than itself: relative error exactly 1
    rest = M.vertex_errors(geometry, [np.zeros_like(ref[0])], ref)
    assert rest["vertex_mm"] > 0 and abs(rest["vertex_relative"] - 1.0) < 1e-5
    worse = M.vertex_errors(geometry, [ref[0] * 0.5], ref)
    assert 0 < worse["vertex_mm"] < rest["vertex_mm"] and worse["lip_vertex_mm"] > 0

