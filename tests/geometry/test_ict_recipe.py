"""data_recipes/ict_facekit_rig.py on a fake FaceXModel folder built from the shared rig."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from tdmm_lm.geometry import load_rig

RECIPE = Path(__file__).resolve().parents[2] / "data_recipes" / "ict_facekit_rig.py"


def _recipe():
    spec = importlib.util.spec_from_file_location("ict_facekit_rig", RECIPE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_obj(path: Path, verts: np.ndarray, faces: np.ndarray | None = None) -> None:
    lines = ["v %.7f %.7f %.7f" % tuple(v) for v in verts]
    if faces is not None:
        lines += ["f " + " ".join(f"{i + 1}/{i + 1}" for i in f) for f in faces]
    path.write_text("\n".join(lines) + "\n")


def test_recipe_rebuilds_the_shared_rig(tmp_path, ict_rig):
    recipe = _recipe()
    rig = load_rig(ict_rig)
    model = tmp_path / "ICT-FaceKit" / "FaceXModel"
    model.mkdir(parents=True)
    extra = np.full((5, 3), 99.0)                 # non-face vertices (eyeballs...) to be cut off
    tris = np.concatenate([rig.triangles, [[9409, 9410, 9411]]])   # and a face that uses them
    _write_obj(model / "generic_neutral_mesh.obj", np.concatenate([rig.neutral, extra]), tris)
    left = (rig.neutral[:, 0] > 0)[:, None]
    for name in rig.blendshape_names:
        d = rig.delta(name)
        parts = recipe.ict_files(name)
        halves = [d * left, d * ~left] if len(parts) == 2 else [d]
        for stem, half in zip(parts, halves):
            _write_obj(model / f"{stem}.obj", np.concatenate([rig.neutral + half, extra]))
    out = tmp_path / "rig.npz"
    assert recipe.main(["--facekit", str(model.parent), "--out", str(out), "--identity", "0"]) == 0
    built = load_rig(out)
    assert built.blendshape_names == rig.blendshape_names and built.units == "cm"
    assert built.deltas.dtype == np.float16
    np.testing.assert_array_equal(built.triangles, rig.triangles)
    np.testing.assert_allclose(built.neutral, rig.neutral, atol=1e-6)
    np.testing.assert_allclose(built.deltas.astype(np.float32), rig.deltas.astype(np.float32),
                               atol=2e-3, rtol=1e-3)            # float16 precision
    assert np.abs(built.delta("tongueOut")).max() == 0
    assert recipe.ict_files("browInnerUp") == ["browInnerUp_L", "browInnerUp_R"]
    assert recipe.ict_files("jawLeft") == ["jawLeft"] and recipe.ict_files("eyeBlinkRight") == ["eyeBlink_R"]


def test_recipe_refuses_a_folder_that_is_not_facekit(tmp_path, capsys):
    recipe = _recipe()
    assert recipe.main(["--facekit", str(tmp_path), "--out", str(tmp_path / "r.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "generic_neutral_mesh.obj" in err
