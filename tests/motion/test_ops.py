import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion import ARKIT61, FLAME, Motion, flame_channels
from tdmm_lm.motion.ops import (Normalizer, above_rest, calibrate, crop, mirror, pad_batch, pad_to,
                                 random_crop, resample, resting_face, windows)


def arkit(frames=120, fps=60.0, seed=0):
    rng = np.random.default_rng(seed)
    return Motion(rng.uniform(-1, 1, (frames, 61)), fps, ARKIT61, ARKIT61.channels)


def flame(frames=50, fps=25.0, seed=0, eyes=True, eyelids=True):
    channels = flame_channels(50, eyes=eyes, eyelids=eyelids)
    rng = np.random.default_rng(seed)
    return Motion(rng.normal(size=(frames, len(channels))) * 0.3, fps, FLAME, channels)


def test_resample_integer_ratio_equals_slicing():
    m = arkit(328)
    r = resample(m, 20.0)
    assert r.num_frames == 110 and r.fps == 20.0
    np.testing.assert_allclose(r.data, m.data[::3], atol=1e-6)


def test_resample_any_ratio_is_linear_interpolation():
    m = arkit(121)
    r = resample(m, 25.0)
    assert r.num_frames == 51  # 2 s of input -> frames at 0, 0.04, ..., 2.0
    # output frame 7 sits at t = 0.28 s = input frame 16.8
    expected = m.data[16] + 0.8 * (m.data[17] - m.data[16])
    np.testing.assert_allclose(r.data[7], expected, atol=1e-5)


def test_upsample_then_downsample_is_identity_on_kept_frames():
    m = arkit(40, fps=30.0)
    np.testing.assert_allclose(resample(resample(m, 60.0), 30.0).data, m.data, atol=1e-6)


def test_flame_rotations_interpolate_on_the_sphere():
    m = flame(2, fps=1.0, eyes=False, eyelids=False)
    data = m.data.copy()
    a, b = np.array([0.0, 2.8, 0.0]), np.array([0.0, -2.8, 0.0])  # the short way passes through pi
    data[0, 53:56], data[1, 53:56] = a, b
    m = m.replace(data=data)
    mid = resample(m, 2.0).data[1, 53:56]
    # linear interpolation would give the zero vector (identity); slerp gives a half-turn about y
    assert np.linalg.norm(mid) == pytest.approx(np.pi, abs=1e-4)
    half_turn = Rotation.from_rotvec([0.0, np.pi, 0.0])
    assert (Rotation.from_rotvec(mid) * half_turn.inv()).magnitude() < 1e-4


def test_pad_and_mask():
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    padded, mask = pad_to(data, 6)
    assert padded.shape == (6, 3) and mask.tolist() == [True] * 4 + [False] * 2
    assert (padded[4:] == 0).all()
    edge, _ = pad_to(data, 6, mode="edge")
    np.testing.assert_array_equal(edge[5], data[3])
    cut, mask = pad_to(data, 2)
    np.testing.assert_array_equal(cut, data[:2]) and mask.all()
    batch, masks = pad_batch([data, data[:1]])
    assert batch.shape == (2, 4, 3) and masks.sum(1).tolist() == [4, 1]


def test_crop_and_random_crop():
    m = arkit(50)
    c = crop(m, 10, 5)
    np.testing.assert_array_equal(c.data, m.data[10:15])
    rng = np.random.default_rng(0)
    window = random_crop(m.data, 8, rng)
    starts = [i for i in range(43) if np.array_equal(m.data[i:i + 8], window)]
    assert len(starts) == 1
    with pytest.raises(TdmmError):
        crop(m, -1, 3)


def test_windows_cut_a_long_motion_into_equal_pieces_that_cover_it():
    m = arkit(751, fps=30.0)                              # 25.03 s, 10 s windows
    cuts = windows(m, 10.0)
    assert [p.num_frames for _, p in cuts] == [251, 251, 249]
    assert [round(s, 3) for s, _ in cuts] == [0.0, 8.367, 16.733]
    np.testing.assert_array_equal(np.concatenate([p.data for _, p in cuts]), m.data)
    assert windows(m, 30.0) == [(0.0, m)]                 # fits: the motion itself
    assert len(windows(arkit(300, fps=30.0), 10.0)) == 1  # exactly 10 s fits too
    with pytest.raises(TdmmError, match="positive"):
        windows(m, 0.0)


def test_normalizer_fit_floor_roundtrip(tmp_path):
    m = arkit(200)
    data = m.data.copy()
    data[:, 51] = 0.25  # tongueOut never moves
    norm = Normalizer.fit([data[:100], data[100:]], ARKIT61.channels, "arkit61")
    np.testing.assert_allclose(norm.mean, data.mean(0), atol=1e-5)
    np.testing.assert_allclose(norm.std[:51], data[:, :51].std(0), rtol=1e-4)
    assert norm.std[51] == pytest.approx(1e-3)  # floored, not zero
    z = norm.normalize(data)
    np.testing.assert_allclose(z[:, :51].mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(norm.denormalize(z), data, atol=1e-5)
    norm.save(tmp_path / "n.json")
    again = Normalizer.load(tmp_path / "n.json")
    np.testing.assert_array_equal(again.mean, norm.mean)
    t = torch.from_numpy(data)
    np.testing.assert_allclose(again.normalize(t).numpy(), z, atol=1e-5)


def test_normalizer_refuses_other_channels():
    norm = Normalizer.fit([arkit().data], ARKIT61.channels, "arkit61")
    with pytest.raises(TdmmError):
        norm.check(flame())


def test_mirror_swaps_and_negates():
    m = arkit()
    mm = mirror(m)
    np.testing.assert_array_equal(mm.channel("eyeBlinkLeft"), m.channel("eyeBlinkRight"))
    np.testing.assert_array_equal(mm.channel("jawLeft"), m.channel("jawRight"))
    np.testing.assert_array_equal(mm.channel("eyeLookInLeft"), m.channel("eyeLookInRight"))
    np.testing.assert_array_equal(mm.channel("jawOpen"), m.channel("jawOpen"))
    np.testing.assert_array_equal(mm.channel("headYaw"), -m.channel("headYaw"))
    np.testing.assert_array_equal(mm.channel("headRoll"), -m.channel("headRoll"))
    np.testing.assert_array_equal(mm.channel("headPitch"), m.channel("headPitch"))
    np.testing.assert_array_equal(mm.channel("leftEyeYaw"), -m.channel("rightEyeYaw"))
    np.testing.assert_array_equal(mm.channel("rightEyePitch"), m.channel("leftEyePitch"))
    np.testing.assert_array_equal(mirror(mm).data, m.data)


def test_mirror_flame_rotations_and_refusal():
    m = flame()
    with pytest.raises(TdmmError, match="expression"):
        mirror(m)
    data = m.data.copy()
    data[:, :50] = 0
    m = m.replace(data=data)
    mm = mirror(m)
    np.testing.assert_array_equal(mm.channel("head_0"), m.channel("head_0"))
    np.testing.assert_array_equal(mm.channel("head_1"), -m.channel("head_1"))
    np.testing.assert_array_equal(mm.channel("eye_4"), -m.channel("eye_1"))
    np.testing.assert_array_equal(mm.channel("eyelid_0"), m.channel("eyelid_1"))
    np.testing.assert_array_equal(mirror(mm).data, m.data)
    # geometric check: mirroring a rotation R about the x=0 plane is S R S with S = diag(-1,1,1)
    s = np.diag([-1.0, 1.0, 1.0])
    r = Rotation.from_rotvec(m.data[0, 53:56]).as_matrix()
    np.testing.assert_allclose(Rotation.from_rotvec(mm.data[0, 53:56]).as_matrix(), s @ r @ s, atol=1e-6)


def resting_performer(frames=300, fps=30.0):
    """A face resting with mouthStretchLeft at 0.3 and head pitch 0.1 rad, smiling (mouthSmileLeft
    to 0.9 over a rest of 0.2) for the middle fifth, with a dip of the stretch to 0 in one blink."""
    data = np.zeros((frames, 61), np.float32)
    stretch, smile, pitch = (ARKIT61.channels.index(c) for c in
                             ("mouthStretchLeft", "mouthSmileLeft", "headPitch"))
    data[:, stretch], data[:, smile], data[:, pitch] = 0.3, 0.2, 0.1
    data[120:180, smile] = 0.9
    data[40:45, stretch] = 0.0
    data[200:210, pitch] = 0.25
    return Motion(data, fps, ARKIT61, ARKIT61.channels), stretch, smile, pitch


def test_above_rest_reads_a_performer_relative_to_the_resting_face():
    motion, stretch, smile, pitch = resting_performer()
    rest = resting_face(motion)
    assert rest[stretch] == pytest.approx(0.3) and rest[smile] == pytest.approx(0.2)
    out = above_rest(motion, rest)
    assert np.allclose(out.data[:, stretch], 0.0)                 # rest, and the dip below it
    assert out.data[150, smile] == pytest.approx(0.7) and out.data[0, smile] == pytest.approx(0.0)
    assert out.data[205, pitch] == pytest.approx(0.15) and out.data[0, pitch] == pytest.approx(0.0)
    assert np.allclose(above_rest(motion, rest, rotations=False).data[:, pitch], motion.data[:, pitch])
    assert motion.data[0, stretch] == pytest.approx(0.3)          # the input is not changed


def test_calibrate_uses_the_whole_take_and_refuses_what_it_cannot_read():
    motion, stretch, smile, _ = resting_performer()
    pieces = [crop(motion, 0, 100), crop(motion, 100, 100), crop(motion, 200, 100)]
    # the middle piece alone smiles for most of its length: its own median would erase the smile
    assert np.median(pieces[1].data[:, smile]) == pytest.approx(0.9)
    calibrated = calibrate(pieces)
    assert [p.num_frames for p in calibrated] == [100, 100, 100]
    assert calibrated[1].data[50, smile] == pytest.approx(0.7)
    with pytest.raises(TdmmError, match="needs arkit61 motion"):
        above_rest(flame(), np.zeros(len(flame().channels)))
    with pytest.raises(TdmmError, match="resting face has 3 values"):
        above_rest(motion, np.zeros(3))
