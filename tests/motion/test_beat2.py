"""BEAT2 (SMPL-X + FLAME) clips read as ``flame`` motion: the right joints, the right values."""

import numpy as np
import pytest

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion import load
from tdmm_lm.motion.flame_files import (SMPLX_HEAD, SMPLX_JAW, SMPLX_LEFT_EYE, SMPLX_NECK,
                                        SMPLX_RIGHT_EYE)
from tests.motion.beat2_builders import write_clip


def rodrigues(v):
    """Rotation matrices [T, 3, 3] from axis-angle [T, 3] (written out, not scipy)."""
    theta = np.linalg.norm(v, axis=1)[:, None, None]
    k = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    K = np.zeros((len(v), 3, 3))
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    K = K - K.transpose(0, 2, 1)
    return np.eye(3) + np.sin(theta) * K + (1 - np.cos(theta)) * K @ K


def test_joint_indices_match_the_installed_smplx():
    from smplx.joint_names import JOINT_NAMES
    assert [JOINT_NAMES[i] for i in (SMPLX_NECK, SMPLX_HEAD, SMPLX_JAW, SMPLX_LEFT_EYE,
                                     SMPLX_RIGHT_EYE)] == \
        ["neck", "head", "jaw", "left_eye_smplhf", "right_eye_smplhf"]


def test_beat2_clip_values(tmp_path):
    arrays = write_clip(tmp_path / "2_scott_0_1_1.npz", frames=50)
    m = load(tmp_path / "2_scott_0_1_1.npz", "flame")
    poses = arrays["poses"].astype(np.float64)
    assert m.fps == 30.0 and m.num_frames == 50 and len(m.channels) == 100 + 3 + 3 + 6
    assert m.channels[100:103] == ("jaw_0", "jaw_1", "jaw_2")
    np.testing.assert_allclose(m.data[:, :100], arrays["expressions"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(m.data[:, 100:103], poses[:, 66:69], atol=1e-7)      # jaw = joint 22
    np.testing.assert_allclose(m.data[:, 106:109], poses[:, 69:72], atol=1e-7)      # left eye
    np.testing.assert_allclose(m.data[:, 109:112], poses[:, 72:75], atol=1e-7)      # right eye
    # head = neck (joint 12, poses 36:39) then head (joint 15, poses 45:48)
    want = rodrigues(poses[:, 36:39]) @ rodrigues(poses[:, 45:48])
    np.testing.assert_allclose(rodrigues(m.data[:, 103:106].astype(np.float64)), want, atol=1e-5)
    assert m.shape is None   # SMPL-X body betas are not a FLAME identity


def test_head_is_the_head_joint_when_the_neck_rests(tmp_path):
    arrays = write_clip(tmp_path / "c.npz")
    arrays["poses"][:, 36:39] = 0
    write_clip(tmp_path / "c.npz", poses=arrays["poses"])
    m = load(tmp_path / "c.npz")
    np.testing.assert_allclose(m.data[:, 103:106], arrays["poses"][:, 45:48], atol=1e-6)


@pytest.mark.parametrize("change, message", [
    ({"poses": np.zeros((40, 156), np.float32)}, "'poses' has shape (40, 156), expected [frames, 165]"),
    ({"expressions": np.zeros((40, 50))}, "'expressions' has shape (40, 50), expected [frames, 100]"),
    ({"expressions": np.zeros((39, 100))}, "'expressions' has 39 frames but 'poses' has 40"),
    ({"mocap_frame_rate": None}, "missing array 'mocap_frame_rate'"),
    ({"mocap_frame_rate": np.array(0, np.int32)}, "'mocap_frame_rate' must be one positive number"),
    ({"poses": np.array([["a"] * 165] * 40)}, "array 'poses' is not numeric"),
])
def test_bad_beat2_clips_get_one_line_naming_file_and_key(tmp_path, change, message):
    path = tmp_path / "2_scott_0_1_1.npz"
    write_clip(path, **change)
    with pytest.raises(TdmmError) as e:
        load(path)
    assert str(e.value).startswith(str(path)) and message in str(e.value)
    assert "\n" not in str(e.value)


def test_non_finite_values_are_refused(tmp_path):
    arrays = write_clip(tmp_path / "c.npz")
    arrays["expressions"][3, 7] = np.nan
    write_clip(tmp_path / "c.npz", expressions=arrays["expressions"])
    with pytest.raises(TdmmError, match="frame 3 has a non-finite value"):
        load(tmp_path / "c.npz")
