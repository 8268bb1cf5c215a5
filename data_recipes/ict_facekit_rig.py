"""Build an ARKit blendshape rig (.npz, see tdmm_lm/geometry/rig.py) from USC ICT-FaceKit.

    git clone https://github.com/ICT-VGL/ICT-FaceKit    # MIT licence
    python data_recipes/ict_facekit_rig.py --facekit ICT-FaceKit --out ict_arkit_rig.npz
    cp ict_arkit_rig.npz ~/.cache/tdmm_lm/arkit_rig.npz  # make it the default rig (optional)

Reads ``FaceXModel/generic_neutral_mesh.obj`` and one OBJ per expression shape. Keeps the face
region (vertices 0..9408), fan-triangulates its polygons, maps ICT's ``_L``/``_R`` names to
ARKit ``Left``/``Right``, sums the halves of ``browInnerUp`` and ``cheekPuff`` (ARKit has one
shape each), leaves ``tongueOut`` zero (ICT has no tongue), stores deltas as float16 in Apple's
order, and optionally the first ``--identity`` identity shapes (``identityNNN.obj``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from tdmm_lm.errors import MotionFileError, TdmmError
from tdmm_lm.motion.formats import ARKIT_BLENDSHAPES_APPLE_ORDER

FACE_VERTICES = 9409      # ICT-FaceKit's "full face area" is vertices 0..9408


def read_obj(path: Path) -> tuple[np.ndarray, list[list[int]]]:
    """Vertices ``[V, 3]`` and polygons (0-based vertex ids) of an OBJ file."""
    verts, polys = [], []
    with open(path) as fh:
        for line in fh:
            if line.startswith("v "):
                verts.append(line.split()[1:4])
            elif line.startswith("f "):
                polys.append([int(tok.split("/")[0]) - 1 for tok in line.split()[1:]])
    return np.asarray(verts, np.float64), polys


def face_triangles(polys: list[list[int]], n_vertices: int) -> np.ndarray:
    """Fan-triangulate the polygons that lie entirely within the first ``n_vertices``."""
    tris = [(p[0], p[i], p[i + 1]) for p in polys if max(p) < n_vertices
            for i in range(1, len(p) - 1)]
    return np.asarray(tris, np.int32)


def ict_files(name: str) -> list[str]:
    """ICT shape files whose sum is the ARKit shape ``name`` ([] = none, e.g. tongueOut)."""
    if name == "tongueOut":
        return []
    if name in ("browInnerUp", "cheekPuff"):
        return [f"{name}_L", f"{name}_R"]
    for side, suffix in (("Left", "_L"), ("Right", "_R")):
        if name.endswith(side) and not name.startswith(("jaw", "mouthLeft", "mouthRight")):
            return [name[: -len(side)] + suffix]
    return [name]   # jawLeft, mouthRight, jawOpen... keep their ARKit names in ICT


def build_rig(facekit: Path, n_identity: int = 20) -> dict[str, np.ndarray]:
    """The rig arrays from an ICT-FaceKit clone (folder holding ``FaceXModel/``)."""
    model = Path(facekit) / "FaceXModel"
    if not (model / "generic_neutral_mesh.obj").is_file():
        raise MotionFileError(model / "generic_neutral_mesh.obj",
                              "not found: --facekit must be an ICT-FaceKit clone (with FaceXModel/)")
    neutral_all, polys = read_obj(model / "generic_neutral_mesh.obj")
    neutral = neutral_all[:FACE_VERTICES]

    def offset(stem: str) -> np.ndarray:
        path = model / f"{stem}.obj"
        if not path.is_file():
            raise MotionFileError(path, "missing ICT shape (is --facekit an ICT-FaceKit clone?)")
        return read_obj(path)[0][:FACE_VERTICES] - neutral

    deltas = np.stack([sum((offset(s) for s in ict_files(n)), np.zeros_like(neutral))
                       for n in ARKIT_BLENDSHAPES_APPLE_ORDER])
    arrays = {"neutral": neutral.astype(np.float32), "deltas": deltas.astype(np.float16),
              "blendshape_names": np.array(ARKIT_BLENDSHAPES_APPLE_ORDER),
              "triangles": face_triangles(polys, FACE_VERTICES), "units": np.array("cm")}
    ids = [model / f"identity{i:03d}.obj" for i in range(n_identity)]
    if n_identity and all(p.is_file() for p in ids):
        arrays["identity"] = np.stack([offset(p.stem) for p in ids]).astype(np.float16)
    return arrays


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--facekit", required=True, type=Path, help="ICT-FaceKit clone")
    ap.add_argument("--out", required=True, type=Path, help="output rig .npz")
    ap.add_argument("--identity", type=int, default=20, help="identity shapes to keep (0: none)")
    args = ap.parse_args(argv)
    try:
        arrays = build_rig(args.facekit, args.identity)
    except TdmmError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out}: {len(arrays['neutral'])} vertices, {len(arrays['triangles'])} "
          f"triangles, {len(ARKIT_BLENDSHAPES_APPLE_ORDER)} blendshapes, identity "
          f"{len(arrays['identity']) if 'identity' in arrays else 0}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
