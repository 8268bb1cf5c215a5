import pickle
import sys
import types

import numpy as np
import pytest

from tdmm_lm.errors import MotionFileError
from tdmm_lm.motion import load, save
from tdmm_lm.safe_pickle import restricted_load


def test_spectre_npz(tmp_path):
    rng = np.random.default_rng(0)
    exp, pose = rng.normal(size=(40, 50)), rng.normal(size=(40, 6)) * 0.1
    np.savez(tmp_path / "clip.npz", exp=exp, pose=pose, shape=rng.normal(size=(40, 100)),
             cam=np.zeros((40, 3)))
    m = load(tmp_path / "clip.npz", "flame")
    assert m.num_frames == 40 and m.fps == 25.0 and m.meta["fps_assumed"]
    np.testing.assert_allclose(m.data[:, :50], exp, rtol=1e-6)
    np.testing.assert_allclose(m.data[:, [m.index(f"head_{i}") for i in range(3)]], pose[:, :3], rtol=1e-6)
    np.testing.assert_allclose(m.data[:, [m.index(f"jaw_{i}") for i in range(3)]], pose[:, 3:], rtol=1e-6)
    assert m.shape.shape == (100,)


@pytest.mark.parametrize("per_frame", [False, True])
def test_smirk_pkl(tmp_path, per_frame):
    rng = np.random.default_rng(1)
    fit = {"expression": rng.normal(size=(30, 50)).astype(np.float32),
           "pose": rng.normal(size=(30, 3)).astype(np.float32) * 0.1,
           "jaw": rng.normal(size=(30, 3)).astype(np.float32) * 0.1,
           "eyelid": rng.uniform(size=(30, 2)).astype(np.float32),
           "identity": rng.normal(size=(30, 300)).astype(np.float32),
           "camera_pose": np.zeros((30, 3), np.float32)}
    obj = [{k: v[i] for k, v in fit.items()} for i in range(30)] if per_frame else fit
    (tmp_path / "v.pkl").write_bytes(pickle.dumps(obj))
    m = load(tmp_path / "v.pkl")
    assert m.channels[-2:] == ("eyelid_0", "eyelid_1") and m.num_frames == 30
    np.testing.assert_array_equal(m.channel("expr_7"), fit["expression"][:, 7])
    np.testing.assert_array_equal(m.channel("jaw_1"), fit["jaw"][:, 1])
    np.testing.assert_array_equal(m.channel("head_2"), fit["pose"][:, 2])
    np.testing.assert_allclose(m.shape, fit["identity"].mean(0), rtol=1e-5)


def test_generic_npz_with_fps_and_eyes_roundtrips(tmp_path):
    rng = np.random.default_rng(2)
    np.savez(tmp_path / "g.npz", expression=rng.normal(size=(12, 100)), jaw_pose=np.zeros((12, 3)),
             global_orient=np.zeros((12, 3)), eye_pose=np.ones((12, 6)), fps=np.array(30.0))
    m = load(tmp_path / "g.npz")
    assert m.fps == 30.0 and len(m.channels) == 112 and not m.meta.get("fps_assumed")
    save(m, tmp_path / "ours.npz")
    back = load(tmp_path / "ours.npz")
    np.testing.assert_array_equal(back.data, m.data)
    assert back.channels == m.channels and back.fps == 30.0


def test_mismatched_frame_counts_refused(tmp_path):
    np.savez(tmp_path / "g.npz", expression=np.zeros((12, 50)), jaw_pose=np.zeros((11, 3)),
             head_pose=np.zeros((12, 3)))
    with pytest.raises(MotionFileError, match="frame count"):
        load(tmp_path / "g.npz")


def test_wrong_format_requested(tmp_path):
    np.savez(tmp_path / "g.npz", expression=np.zeros((3, 50)), jaw_pose=np.zeros((3, 3)),
             head_pose=np.zeros((3, 3)))
    with pytest.raises(MotionFileError, match="expected arkit61"):
        load(tmp_path / "g.npz", "arkit61")


def test_chumpy_objects_become_arrays(tmp_path, monkeypatch):
    # real FLAME pickles hold chumpy.ch.Ch objects; build one without chumpy installed
    module = types.ModuleType("chumpy.ch")

    class Ch:
        def __init__(self, x):
            self.x = x
    Ch.__module__, Ch.__qualname__ = "chumpy.ch", "Ch"
    module.Ch = Ch
    monkeypatch.setitem(sys.modules, "chumpy", types.ModuleType("chumpy"))
    monkeypatch.setitem(sys.modules, "chumpy.ch", module)
    import scipy.sparse
    payload = {"shapedirs": Ch(np.arange(6.0).reshape(2, 3)),
               "J_regressor": scipy.sparse.csc_matrix(np.eye(3)), "f": np.array([[0, 1, 2]])}
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(payload, protocol=2))
    monkeypatch.delitem(sys.modules, "chumpy.ch")
    loaded = restricted_load(tmp_path / "model.pkl")
    np.testing.assert_array_equal(loaded["shapedirs"], np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(loaded["J_regressor"].toarray(), np.eye(3))


def test_restricted_load_refuses_arbitrary_classes(tmp_path):
    import collections
    (tmp_path / "ok.pkl").write_bytes(pickle.dumps(collections.OrderedDict(a=np.ones(2))))
    assert list(restricted_load(tmp_path / "ok.pkl")) == ["a"]
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(types.SimpleNamespace(a=1)))
    with pytest.raises(MotionFileError, match="refusing"):
        restricted_load(tmp_path / "evil.pkl")
