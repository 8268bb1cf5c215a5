"""ARKit rigs: the blendshape sum, head/eye rotation, name matching, directions, resolution."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tdmm_lm.errors import TdmmError
from tdmm_lm.geometry import ArkitGeometry, load_rig, resolve_rig
from tdmm_lm.geometry.procedural_rig import procedural_rig
from tdmm_lm.geometry.rig_choice import PACKAGED_RIG, RIG_ENV
from tdmm_lm.motion.formats import ARKIT61_CHANNELS, ARKIT_BLENDSHAPES

CH = ARKIT61_CHANNELS


def _motion(frames: list[dict[str, float]]) -> torch.Tensor:
    m = torch.zeros(1, len(frames), len(CH))
    for t, values in enumerate(frames):
        for name, v in values.items():
            m[0, t, CH.index(name)] = v
    return m


def _random_weights(seed: int, frames: int = 4) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    m = torch.zeros(2, frames, len(CH))
    m[..., :52] = torch.rand(2, frames, 52, generator=g) * 1.05   # values slightly over 1 occur
    return m


def _direct_sum(rig, motion: torch.Tensor) -> np.ndarray:
    """neutral + Σ w·delta straight from the rig arrays, matching names by hand (float64)."""
    w = motion.numpy().astype(np.float64)
    out = np.broadcast_to(rig.neutral.astype(np.float64), w.shape[:2] + rig.neutral.shape).copy()
    for k, name in enumerate(rig.blendshape_names):
        out += w[..., CH.index(name), None, None] * rig.deltas[k].astype(np.float64)
    return out


@pytest.mark.parametrize("which", ["procedural", "ict"])
def test_vertices_equal_direct_blendshape_sum(which, request):
    rig = procedural_rig() if which == "procedural" else load_rig(request.getfixturevalue("ict_rig"))
    motion = _random_weights(0)
    got = ArkitGeometry(rig).vertices(motion)
    assert got.shape == (2, 4, rig.num_vertices, 3)
    err = np.abs(got.double().numpy() - _direct_sum(rig, motion)).max()
    assert err < 1e-4, f"max deviation {err} cm"


def test_ict_names_matched_by_name_not_position(ict_rig):
    rig = load_rig(ict_rig)
    assert rig.blendshape_names.index("jawLeft") != ARKIT_BLENDSHAPES.index("jawLeft")
    geo = ArkitGeometry(rig)
    for name in ("jawLeft", "jawRight", "mouthLeft", "mouthRight"):
        v = geo.vertices(_motion([{name: 1.0}]))[0, 0].numpy()
        np.testing.assert_allclose(v - rig.neutral, rig.delta(name), atol=1e-5)


@pytest.mark.parametrize("which", ["procedural", "ict"])
def test_left_right_shapes_move_the_named_side(which, request):
    rig = procedural_rig() if which == "procedural" else load_rig(request.getfixturevalue("ict_rig"))
    for name in ARKIT_BLENDSHAPES:
        d = rig.delta(name)
        mag = np.linalg.norm(d, axis=1)
        if name.startswith(("jaw", "mouthLeft", "mouthRight")) and name.endswith(("Left", "Right")):
            sign = 1 if name.endswith("Left") else -1   # a direction: toward the subject's side
            assert sign * (d[:, 0] * mag).sum() > 0, name
        elif name.endswith(("Left", "Right")):
            moved = mag > 0.5 * mag.max()
            side = np.sign(rig.neutral[moved, 0].mean())
            assert side == (1 if name.endswith("Left") else -1), name
    blink = rig.delta("eyeBlinkLeft")
    assert blink[np.linalg.norm(blink, axis=1).argmax(), 1] < 0          # lids close downward
    smile = rig.delta("mouthSmileLeft")
    assert smile[np.linalg.norm(smile, axis=1).argmax(), 1] > 0          # corner goes up
    jaw = rig.delta("jawOpen")
    assert jaw[np.linalg.norm(jaw, axis=1).argmax(), 1] < -1.0           # chin drops > 1 cm
    brow = rig.delta("browInnerUp")
    assert brow[np.linalg.norm(brow, axis=1).argmax(), 1] > 0


def test_head_rotation_is_rigid_and_yaw_turns_to_subject_left():
    geo = ArkitGeometry(procedural_rig())
    still = _motion([{"jawOpen": 0.5, "eyeBlinkRight": 1.0}])
    turned = _motion([{"jawOpen": 0.5, "eyeBlinkRight": 1.0, "headYaw": 0.3, "headPitch": -0.2,
                       "headRoll": 0.1}])
    a, b = geo.vertices(still)[0, 0], geo.vertices(turned)[0, 0]
    ids = torch.randperm(len(a), generator=torch.Generator().manual_seed(0))[:400]
    def dist(v):   # exact pairwise distances (cdist's matmul shortcut loses float32 digits)
        v = v[ids].double()
        return (v[:, None] - v[None]).norm(dim=-1)
    da, db = dist(a), dist(b)
    assert (da - db).abs().max() < 1e-4
    assert (a - b).norm(dim=1).max() > 1.0                      # it did move
    nose = a[:, 2].argmax()
    yaw = geo.vertices(_motion([{"headYaw": 0.3}]))[0, 0]
    assert yaw[nose, 0] > a[nose, 0] + 0.5                      # nose moves toward +x (left)
    pitch = geo.vertices(_motion([{"headPitch": 0.3}]))[0, 0]
    assert pitch[nose, 1] < geo.vertices(_motion([{}]))[0, 0][nose, 1]   # pitch > 0: nose down


def test_eye_rotation_moves_only_eyeballs():
    rig = procedural_rig()
    geo = ArkitGeometry(rig)
    rest = geo.vertices(_motion([{}]))[0, 0]
    look = geo.vertices(_motion([{"leftEyeYaw": 0.3}]))[0, 0]
    moved = np.nonzero((look - rest).norm(dim=1).numpy() > 1e-6)[0]
    assert set(moved) <= set(rig.eye_left_vertices.tolist()) and len(moved) > 50
    pivot = torch.as_tensor(rig.eye_pivots[0])
    assert torch.allclose((look[moved] - pivot).norm(dim=1), (rest[moved] - pivot).norm(dim=1),
                          atol=1e-5)


def test_vertex_subset_matches_full_and_gradients_flow():
    geo = ArkitGeometry(procedural_rig())
    motion = _random_weights(1)
    motion[..., CH.index("headYaw")] = 0.2
    motion[..., CH.index("leftEyePitch")] = 0.3
    motion.requires_grad_(True)
    ids = geo.vertex_subset(300, seed=2)
    ids = torch.cat([ids, torch.as_tensor(procedural_rig().eye_left_vertices[:5])])
    full = geo.vertices(motion)
    sub = geo.vertices(motion, vertex_ids=ids)
    assert torch.allclose(sub, full[:, :, ids], atol=1e-5)
    sub.square().sum().backward()
    g = motion.grad
    assert g.shape == motion.shape and g[..., CH.index("headYaw")].abs().sum() > 0
    assert g[..., CH.index("leftEyePitch")].abs().sum() > 0
    assert g[..., CH.index("jawOpen")].abs().sum() > 0


def test_regions_sit_where_they_should():
    geo = ArkitGeometry(procedural_rig())
    n = geo.neutral_vertices().numpy()
    r = geo.regions
    assert {"lips", "eyes", "brows", "jaw", "cheeks", "face"} <= set(r)
    assert abs(n[r["lips"], 1].mean() - (-3.5)) < 1.0              # around the mouth line
    assert n[r["brows"], 1].mean() > n[r["eyes"], 1].mean() > n[r["lips"], 1].mean()
    assert n[r["jaw"], 1].mean() < n[r["lips"], 1].mean()


def test_rig_resolution_order(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(RIG_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    default = resolve_rig()                                   # nothing set: the packaged face
    assert default.source == str(PACKAGED_RIG) and default.num_vertices == 9409
    assert capsys.readouterr().err == ""                      # a real default needs no notice
    assert resolve_rig("procedural").source == "procedural fallback rig"   # only when asked
    cached = tmp_path / "cache" / "tdmm_lm" / "arkit_rig.npz"
    cached.parent.mkdir(parents=True)
    procedural_rig().save(cached)
    assert resolve_rig().source == str(cached)                # the user cache beats the package
    monkeypatch.setenv(RIG_ENV, str(PACKAGED_RIG))
    assert resolve_rig().num_vertices == 9409                 # the variable beats the cache
    assert resolve_rig(cached).source == str(cached)          # explicit path wins
    monkeypatch.setenv(RIG_ENV, "procedural")
    assert resolve_rig().source == "procedural fallback rig"
    monkeypatch.setenv(RIG_ENV, str(tmp_path / "missing.npz"))
    with pytest.raises(TdmmError, match=RIG_ENV):
        resolve_rig()


def test_packaged_rig_is_the_shared_ict_rig(ict_rig):
    """The package ships the same file as ../shared (float16 deltas, licence and provenance)."""
    assert PACKAGED_RIG.read_bytes() == ict_rig.read_bytes()


def test_packaged_rig_ships_with_licence_and_package_data():
    from pathlib import Path
    tomllib = pytest.importorskip("tomllib")          # Python 3.11+
    rig = load_rig(PACKAGED_RIG)
    assert (rig.num_vertices, len(rig.blendshape_names), rig.units) == (9409, 52, "cm")
    assert rig.deltas.dtype == np.float16 and PACKAGED_RIG.stat().st_size < 4_000_000
    assets = PACKAGED_RIG.parent
    assert "MIT License" in (assets / "LICENSE.ict_facekit").read_text()
    assert "ICT-VGL/ICT-FaceKit" in (assets / "PROVENANCE.md").read_text()
    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = {f"assets/{p.name}" for p in assets.iterdir() if p.is_file()}
    assert shipped <= set(data["tdmm_lm.geometry"]), "a non-editable install would lack a file"


def test_missing_packaged_rig_is_one_line(monkeypatch, tmp_path):
    from tdmm_lm.geometry import rig_choice
    monkeypatch.delenv(RIG_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(rig_choice, "PACKAGED_RIG", tmp_path / "gone.npz")
    with pytest.raises(TdmmError, match="--rig procedural"):
        resolve_rig()


def test_saved_rig_round_trips(tmp_path):
    rig = procedural_rig()
    rig.save(tmp_path / "r.npz")
    back = load_rig(tmp_path / "r.npz")
    assert back.blendshape_names == rig.blendshape_names
    np.testing.assert_array_equal(back.triangles, rig.triangles)
    np.testing.assert_array_equal(back.eye_left_vertices, rig.eye_left_vertices)
    m = _random_weights(3)
    assert torch.allclose(ArkitGeometry(back).vertices(m), ArkitGeometry(rig).vertices(m), atol=1e-5)


def test_bad_rig_files_say_what_is_wrong(tmp_path):
    with pytest.raises(TdmmError, match="not found"):
        load_rig(tmp_path / "none.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(TdmmError, match="junk.npz"):
        load_rig(tmp_path / "junk.npz")
    np.savez(tmp_path / "bad.npz", neutral=np.zeros((4, 3)), deltas=np.zeros((2, 5, 3)),
             blendshape_names=np.array(["a", "b"]), triangles=np.array([[0, 1, 2]]))
    with pytest.raises(TdmmError, match="deltas"):
        load_rig(tmp_path / "bad.npz")
