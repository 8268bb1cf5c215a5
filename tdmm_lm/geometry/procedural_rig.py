"""The procedural fallback ARKit rig: a parametric face written in this project, no files needed.

A face mask (height field on an ellipsoid, 0.25 cm grid, ~5k vertices, centimetres, the same
frame as the ICT rig: +x subject's left, +y up, +z toward the viewer) with a nose, brow ridge,
cheeks, lips and chin; slits (duplicated vertex rows) for the mouth and both eyes so they can
open and close; two eyeballs (rotated by the eye angle channels) and a tongue. Each of the 52
ARKit blendshapes is a smooth displacement field on the anatomically right region, moving it in
the direction Apple's documentation describes (e.g. ``eyeBlinkLeft`` closes the lids of the eye
at +x, ``mouthSmileLeft`` lifts the +x mouth corner, ``jawOpen`` rotates the lower face down).
It is a stand-in for pictures and tests, not a likeness: use a real rig for measurements.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tdmm_lm.geometry.rig import BlendshapeRig
from tdmm_lm.motion.formats import ARKIT_BLENDSHAPES

STEP = 0.25                      # grid spacing, cm
Y_MOUTH, Y_EYE = -3.5, 4.0       # slit rows (multiples of STEP above -12.5)
EYE_X = 3.5                      # eye centres at ±EYE_X
EYE_HALF = 1.5                   # eye slit half-width; lids open by up to OPEN_UP / OPEN_DOWN
OPEN_UP, OPEN_DOWN = 0.55, 0.35
MOUTH_HALF = 2.5                 # mouth corners at ±MOUTH_HALF
EYEBALL_R = 1.2
SKIN, LIP, SCLERA, IRIS, PUPIL, TONGUE = ((0.87, 0.72, 0.62), (0.78, 0.48, 0.47),
                                          (0.95, 0.95, 0.92), (0.30, 0.45, 0.62),
                                          (0.05, 0.05, 0.06), (0.80, 0.40, 0.45))


def _gauss(x, y, cx, cy, sx, sy):
    return np.exp(-((x - cx) ** 2 / (2 * sx ** 2) + (y - cy) ** 2 / (2 * sy ** 2)))


def _height(x, y):
    """Skin depth z(x, y) of the neutral face, cm."""
    z = 4.0 + 7.0 * np.sqrt(np.clip(1 - (x / 9.0) ** 2 - ((y + 0.5) / 13.0) ** 2, 0, None))
    z += 2.0 * np.exp(-x ** 2 / 0.5) * np.clip((3.0 - y) / 2.0, 0, 1) * np.clip((y + 2.0) / 0.8, 0, 1)
    z += 0.6 * _gauss(x, y, 0, -1.3, 0.7, 0.6) + 0.4 * _gauss(np.abs(x), y, 1.1, -1.5, 0.45, 0.45)
    z += -1.0 * _gauss(np.abs(x), y, EYE_X, Y_EYE, 1.5, 1.0) + 0.5 * _gauss(np.abs(x), y, 3.3, 5.7, 1.8, 0.5)
    z += 0.8 * _gauss(np.abs(x), y, 4.2, -1.0, 1.6, 1.6) + 0.6 * _gauss(x, y, 0, -8.2, 1.6, 1.4)
    z += 0.6 * _gauss(x, y, 0, -3.1, 1.8, 0.35) + 0.5 * _gauss(x, y, 0, -3.95, 1.7, 0.35)
    return z


def _grid():
    """Skin vertices with slits. Returns xy [V, 2], side labels and triangles [F, 3]."""
    xs = np.arange(-8.5, 8.5 + 1e-6, STEP)
    ys = np.arange(-12.5, 11.0 + 1e-6, STEP)
    gx, gy = np.meshgrid(xs, ys)                      # [rows (y), cols (x)]
    keep = (gx / 8.4) ** 2 + ((gy + 0.5) / 11.8) ** 2 <= 1
    index = -np.ones(gx.shape, np.int64)
    index[keep] = np.arange(keep.sum())
    pts = [np.stack([gx[keep], gy[keep]], 1)]
    n = int(keep.sum())
    # Slits: (row, column mask). Vertices on a slit get a duplicate used by the quads below it.
    slits = [(int(round((Y_MOUTH + 12.5) / STEP)), np.abs(xs) < MOUTH_HALF - 0.1)]
    for cx in (EYE_X, -EYE_X):
        slits.append((int(round((Y_EYE + 12.5) / STEP)), np.abs(xs - cx) < EYE_HALF - 0.2))
    below = index.copy()                              # index as seen from the quad below a row
    dup_of = []
    for row, cols in slits:
        cols = cols & keep[row]
        ids = np.arange(n, n + cols.sum())
        below[row, cols] = ids
        dup_of.append(index[row, cols])
        n += len(ids)
    pts.append(np.concatenate([pts[0][d] for d in dup_of]))
    tris = []
    for r in range(len(ys) - 1):
        a, b = below[r + 1, :-1], below[r + 1, 1:]    # top edge of the quad, from below
        c, d = index[r, :-1], index[r, 1:]
        ok = (a >= 0) & (b >= 0) & (c >= 0) & (d >= 0)
        tris += [np.stack([c[ok], d[ok], b[ok]], 1), np.stack([c[ok], b[ok], a[ok]], 1)]
    dup = np.zeros(n, bool)
    dup[int(keep.sum()):] = True
    return np.concatenate(pts), dup, np.concatenate(tris)


def _sphere(center, radii, n_lat=12, n_lon=18):
    """A closed UV-sphere [v, 3] and outward triangles (local indices)."""
    th = np.linspace(0, np.pi, n_lat + 1)[1:-1]
    ph = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    t, p = np.meshgrid(th, ph, indexing="ij")
    # pole axis = +z so the front pole (pupil) faces the viewer
    unit = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1).reshape(-1, 3)
    unit = np.concatenate([unit, [[0, 0, 1], [0, 0, -1]]])
    front, back = len(unit) - 2, len(unit) - 1
    tris = []
    for i in range(n_lat - 2):
        for j in range(n_lon):
            a, b = i * n_lon + j, i * n_lon + (j + 1) % n_lon
            tris += [(a, b, b + n_lon), (a, b + n_lon, a + n_lon)]
    last = (n_lat - 2) * n_lon
    for j in range(n_lon):
        tris += [(front, j, (j + 1) % n_lon), (back, last + (j + 1) % n_lon, last + j)]
    tris = np.array(tris)
    v = unit * radii + center
    # make every triangle face away from the centre
    nrm = np.cross(v[tris[:, 1]] - v[tris[:, 0]], v[tris[:, 2]] - v[tris[:, 0]])
    flip = (nrm * (v[tris].mean(1) - center)).sum(1) < 0
    tris[flip] = tris[flip][:, ::-1]
    return v, unit, tris


@lru_cache(maxsize=1)
def procedural_rig() -> BlendshapeRig:
    """Build the fallback rig (cached; ~5.6k vertices, 52 ARKit blendshapes, cm)."""
    xy, dup, tris = _grid()
    x, y = xy[:, 0], xy[:, 1]
    # which side of each slit a vertex is on (duplicates are the lower side)
    upper_m = (y > Y_MOUTH) | ((y == Y_MOUTH) & ~dup)
    lower_m = ~upper_m
    hx = {s: np.sqrt(np.clip(1 - ((x - s * EYE_X) / EYE_HALF) ** 2, 0, 1)) for s in (1, -1)}
    up_e = (y > Y_EYE) | ((y == Y_EYE) & ~dup)
    fall_up = np.exp(-((y - Y_EYE) / 0.7) ** 2) * up_e
    fall_lo = np.exp(-((y - Y_EYE) / 0.6) ** 2) * ~up_e
    z = _height(x, y)
    open_y = {s: hx[s] * (OPEN_UP * fall_up - OPEN_DOWN * fall_lo) for s in (1, -1)}
    skin = np.stack([x, y + open_y[1] + open_y[-1],
                     z + 0.25 * (hx[1] + hx[-1]) * np.exp(-((y - Y_EYE) / 0.7) ** 2)], 1)
    parts = [skin]
    colors = [np.array(SKIN) + (np.array(LIP) - SKIN) * np.clip(
        2 * _gauss(x, y, 0, Y_MOUTH, 1.6, 0.45)[:, None], 0, 1)]
    eye_ids, eye_pivots = [], []
    for s in (1, -1):
        zc = _height(np.array(s * EYE_X), np.array(Y_EYE)) + 0.25 - 0.15 - EYEBALL_R
        center = np.array([s * EYE_X, Y_EYE, float(zc)])
        v, unit, t = _sphere(center, EYEBALL_R)
        start = sum(len(p) for p in parts)
        tris = np.concatenate([tris, t + start])
        eye_ids.append(np.arange(start, start + len(v)))
        eye_pivots.append(center)
        parts.append(v)
        angle = np.arccos(np.clip(unit[:, 2], -1, 1))
        colors.append(np.where((angle < 0.28)[:, None], PUPIL,
                               np.where((angle < 0.55)[:, None], IRIS, SCLERA)))
    tongue_c = np.array([0.0, Y_MOUTH - 0.5, _height(np.array(0.0), np.array(Y_MOUTH)) - 1.8])
    v, _, t = _sphere(tongue_c, np.array([1.2, 0.4, 1.3]), 8, 12)
    tongue_start = sum(len(p) for p in parts)
    tris = np.concatenate([tris, t + tongue_start])
    parts.append(v)
    colors.append(np.tile(TONGUE, (len(v), 1)))
    neutral = np.concatenate(parts).astype(np.float32)
    nv = len(neutral)

    def field(weight, direction):
        """Skin-only displacement ``weight[Vskin] * direction[3]`` padded to all vertices."""
        out = np.zeros((nv, 3))
        out[:len(skin)] = weight[:, None] * np.asarray(direction, float)
        return out

    def g(cx, cy, sx, sy):
        return _gauss(x, y, cx, cy, sx, sy)

    mouth_x = np.clip((3.0 - np.abs(x)) / 0.8, 0, 1)
    ul = upper_m * np.exp(-((y - Y_MOUTH) / 0.6) ** 2) * mouth_x     # upper lip
    ll = lower_m * np.exp(-((y - Y_MOUTH) / 0.6) ** 2) * mouth_x     # lower lip
    inside = np.clip((MOUTH_HALF - np.abs(x)) / 0.5, 0, 1)
    w_jaw = lower_m * np.clip(inside + (Y_MOUTH - y) / 1.2, 0, 1) * np.clip((7.0 - np.abs(x)) / 2, 0, 1)
    theta, hinge = 0.25, np.array([0.0, 1.0, 1.0])  # jaw opening angle (rad) and hinge point
    rel = skin - hinge
    rot = np.array([[1, 0, 0], [0, np.cos(theta), -np.sin(theta)], [0, np.sin(theta), np.cos(theta)]])
    jaw_open = np.zeros((nv, 3))
    jaw_open[:len(skin)] = w_jaw[:, None] * (rel @ rot.T - rel)
    half = {1: 1 / (1 + np.exp(-x / 0.4)), -1: 1 / (1 + np.exp(x / 0.4))}   # left / right half
    shapes: dict[str, np.ndarray] = {}
    for s, side in ((1, "Left"), (-1, "Right")):
        lid_up, lid_lo = hx[s] * fall_up, hx[s] * fall_lo
        lids = hx[s] * np.exp(-((y - Y_EYE) / 0.9) ** 2)
        corner = g(s * MOUTH_HALF, Y_MOUTH, 0.9, 0.9)
        shapes[f"eyeBlink{side}"] = (field(lid_up, (0, -(OPEN_UP + 0.7 * OPEN_DOWN), 0.1))
                                     + field(lid_lo, (0, 0.3 * OPEN_DOWN, 0)))
        shapes[f"eyeLookDown{side}"] = field(lid_up, (0, -0.25, 0)) + field(lid_lo, (0, -0.12, 0))
        shapes[f"eyeLookUp{side}"] = field(lid_up, (0, 0.2, 0)) + field(lid_lo, (0, 0.1, 0))
        shapes[f"eyeLookIn{side}"] = field(lids, (-s * 0.2, 0, 0))    # toward the nose
        shapes[f"eyeLookOut{side}"] = field(lids, (s * 0.2, 0, 0))
        shapes[f"eyeSquint{side}"] = (field(lid_lo, (0, 0.5 * OPEN_DOWN, 0))
                                      + field(g(s * EYE_X, 2.6, 1.2, 0.8), (-s * 0.1, 0.3, 0)))
        shapes[f"eyeWide{side}"] = field(lid_up, (0, 0.3, -0.05))
        shapes[f"jaw{side}"] = field(w_jaw, (s * 0.8, 0, 0))
        shapes[f"mouth{side}"] = field(g(0, Y_MOUTH, 2.2, 1.2), (s * 1.2, 0, 0))
        shapes[f"mouthSmile{side}"] = field(corner, (s * 0.5, 0.9, -0.5))
        shapes[f"mouthFrown{side}"] = field(corner, (s * 0.1, -0.6, -0.1))
        shapes[f"mouthDimple{side}"] = field(corner, (s * 0.2, 0.1, -0.6))
        shapes[f"mouthStretch{side}"] = field(corner, (s * 0.8, -0.3, -0.4))
        shapes[f"mouthPress{side}"] = field(ul * half[s], (0, -0.15, 0)) + field(ll * half[s], (0, 0.3, 0))
        shapes[f"mouthLowerDown{side}"] = field(ll * half[s], (0, -0.5, 0))
        shapes[f"mouthUpperUp{side}"] = field(ul * half[s], (0, 0.6, 0.1))
        shapes[f"browDown{side}"] = field(g(s * 3.3, 5.8, 1.6, 0.7), (-s * 0.3, -0.5, 0.2))
        shapes[f"browOuterUp{side}"] = field(g(s * 4.8, 5.6, 1.0, 0.8), (0, 0.7, -0.1))
        shapes[f"cheekSquint{side}"] = field(g(s * 4.6, 1.2, 1.2, 0.9), (0, 0.5, 0.2))
        shapes[f"noseSneer{side}"] = field(g(s * 1.1, -0.9, 0.6, 0.8), (0, 0.6, 0))
    corners_in = field(g(MOUTH_HALF, Y_MOUTH, 0.9, 0.9), (-1, 0, 0)) + field(
        g(-MOUTH_HALF, Y_MOUTH, 0.9, 0.9), (1, 0, 0))
    shapes["jawForward"] = field(w_jaw, (0, 0, 0.8))
    shapes["jawOpen"] = jaw_open
    shapes["mouthClose"] = -jaw_open * np.pad(ll / max(ll.max(), 1e-9), (0, nv - len(skin)))[:, None]
    shapes["mouthFunnel"] = (field(ul, (0, 0.3, 0.6)) + field(ll, (0, -0.3, 0.6)) + 0.4 * corners_in)
    shapes["mouthPucker"] = field(ul + ll, (0, 0, 0.9)) + 0.6 * corners_in
    shapes["mouthRollLower"] = field(ll, (0, 0.2, -0.9))
    shapes["mouthRollUpper"] = field(ul, (0, -0.2, -0.8))
    shapes["mouthShrugLower"] = field(ll + lower_m * g(0, -7.5, 2.0, 1.5), (0, 0.6, 0.2))
    shapes["mouthShrugUpper"] = field(ul, (0, 0.5, 0.1))
    shapes["browInnerUp"] = field(g(1.4, 5.6, 0.9, 0.8) + g(-1.4, 5.6, 0.9, 0.8), (0, 0.6, 0))
    shapes["cheekPuff"] = (field(g(3.6, -3.0, 1.3, 1.3), (0.6, 0, 0.8))
                           + field(g(-3.6, -3.0, 1.3, 1.3), (-0.6, 0, 0.8)))
    tongue = np.zeros((nv, 3))
    tongue[tongue_start:] = (0, -0.3, 2.2)
    shapes["tongueOut"] = tongue
    names = tuple(ARKIT_BLENDSHAPES)
    return BlendshapeRig(
        neutral=neutral, deltas=np.stack([shapes[n] for n in names]).astype(np.float32),
        blendshape_names=names, triangles=tris.astype(np.int64), units="cm",
        head_pivot=np.array([0.0, -6.0, 0.0], np.float32),
        eye_left_vertices=eye_ids[0], eye_right_vertices=eye_ids[1],
        eye_pivots=np.array(eye_pivots, np.float32),
        vertex_colors=np.concatenate(colors).astype(np.float32), source="procedural fallback rig")
