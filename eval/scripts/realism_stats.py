"""Statistics of the shared real Live Link Face takes that FaceScript's realism layer is fitted to.

    PYTHONPATH=$PWD python eval/scripts/realism_stats.py --out eval/results/realism_stats

Per take (30 fps; S88's tracking-loss rows dropped and the take split at them, see
real_takes.py): resting level (5th percentile) per blendshape, tracking noise (white-noise std
from second differences, robust), co-activation slopes (least squares of a follower channel on
its driver, rest removed, on frames where the driver is active), gaze saccades (rate, size) and
drift, and the blink rate. ``tdmm_lm/data/facescript/realism.py`` cites these numbers.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from real_takes import load_takes
from tdmm_lm.motion.formats import ARKIT61_CHANNELS, ARKIT_BLENDSHAPES
from tdmm_lm.provenance import write_result

_IDX = {c: i for i, c in enumerate(ARKIT61_CHANNELS)}
_NB = len(ARKIT_BLENDSHAPES)
# (driver, follower): the co-activations the issue names (a blink narrows the eye and lowers the
# brow, an open jaw lowers and stretches the lips, a smile squints the cheeks, brows move together)
PAIRS = [("eyeBlinkLeft", "eyeSquintLeft"), ("eyeBlinkLeft", "browDownLeft"),
         ("eyeBlinkLeft", "leftEyePitch"),
         ("jawOpen", "mouthLowerDownLeft"), ("jawOpen", "mouthStretchLeft"),
         ("jawOpen", "jawForward"), ("mouthSmileLeft", "cheekSquintLeft"),
         ("browInnerUp", "browOuterUpLeft")]
ACTIVE = 0.1          # driver this far above its rest: a frame where the coupling shows
SACCADE = 0.015       # rad per frame (0.45 rad/s at 30 fps): faster gaze steps are saccades


def white_noise_std(x: np.ndarray) -> np.ndarray:
    """``[T, D]`` → ``[D]``: for white noise of std s, diff² has std s·√6; the median absolute
    deviation ignores the motion itself (smooth curves have small second differences)."""
    d2 = np.diff(x, 2, axis=0)
    return 1.4826 * np.median(np.abs(d2 - np.median(d2, 0)), 0) / np.sqrt(6.0)


def slope(driver: np.ndarray, follower: np.ndarray) -> float:
    rest_d, rest_f = np.percentile(driver, 5), np.percentile(follower, 5)
    on = driver - rest_d > ACTIVE
    if on.sum() < 10:
        return float("nan")
    a, b = driver[on] - rest_d, follower[on] - rest_f
    return float(np.dot(a, b) / np.dot(a, a))


def saccades(yaw: np.ndarray, fps: float) -> dict[str, float]:
    step = np.diff(yaw)
    fast = np.abs(step) > SACCADE
    onsets = np.flatnonzero(fast & ~np.r_[False, fast[:-1]])
    sizes, i = [], 0
    for s in onsets:      # one saccade = a run of fast steps; its size is the run's sum
        e = s
        while e < len(fast) and fast[e]:
            e += 1
        sizes.append(abs(step[s:e].sum()))
    return {"rate_hz": len(onsets) / (len(yaw) / fps),
            "size_median_rad": float(np.median(sizes)) if sizes else 0.0,
            "drift_step_std_rad": float(step[~fast].std())}


def blink_rate(blink: np.ndarray, fps: float) -> float:
    closed = blink > 0.5
    return float((closed[1:] & ~closed[:-1]).sum() / (len(blink) / fps) * 60.0)


def take_stats(x: np.ndarray, fps: float) -> dict:
    noise = white_noise_std(x)
    return {"frames": len(x),
            "rest": dict(zip(ARKIT_BLENDSHAPES, np.percentile(x[:, :_NB], 5, 0).round(4).tolist())),
            "noise_blend_median": float(np.median(noise[:_NB])),
            "noise_eye_median": float(np.median(noise[_NB + 3:])),
            "slopes": {f"{d}->{f}": slope(x[:, _IDX[d]], x[:, _IDX[f]]) for d, f in PAIRS},
            "gaze_yaw": saccades(x[:, _IDX["leftEyeYaw"]], fps),
            "gaze_pitch": saccades(x[:, _IDX["leftEyePitch"]], fps),
            "gaze_yaw_p5_p95": np.percentile(x[:, _IDX["leftEyeYaw"]], [5, 95]).round(3).tolist(),
            "blinks_per_min": blink_rate(x[:, _IDX["eyeBlinkLeft"]], fps)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="eval/results/realism_stats")
    args = ap.parse_args()
    notes: list[str] = []
    runs = load_takes(report=notes.append)
    # rest is a performer's trait: pool a take's runs; dynamics are per run (no jump across gaps)
    pooled = defaultdict(list)
    for name, m in runs:
        pooled[name.split("#")[0]].append(m.data.astype(np.float64))
    per_take = {name: take_stats(np.concatenate(xs), 30.0) for name, xs in pooled.items()}
    for name, m in runs:       # dynamics of split takes from their longest run only
        if "#" in name and m.num_frames == max(len(x) for x in pooled[name.split("#")[0]]):
            st = take_stats(m.data.astype(np.float64), 30.0)
            for key in ("noise_blend_median", "noise_eye_median", "gaze_yaw", "gaze_pitch",
                        "blinks_per_min"):
                per_take[name.split("#")[0]][key] = st[key]
    rest = np.array([list(s["rest"].values()) for s in per_take.values()])
    summary = {"rest_mean": dict(zip(ARKIT_BLENDSHAPES, rest.mean(0).round(4).tolist())),
               "rest_std": dict(zip(ARKIT_BLENDSHAPES, rest.std(0).round(4).tolist())),
               "slopes_median": {k: float(np.nanmedian([s["slopes"][k] for s in per_take.values()]))
                                 for k in per_take[next(iter(per_take))]["slopes"]}}
    for key in ("noise_blend_median", "noise_eye_median", "blinks_per_min"):
        summary[key] = float(np.median([s[key] for s in per_take.values()]))
    for axis in ("gaze_yaw", "gaze_pitch"):
        summary[axis] = {k: float(np.median([s[axis][k] for s in per_take.values()]))
                         for k in ("rate_hz", "size_median_rad", "drift_step_std_rad")}
    lines = ["# Statistics of the shared real takes (FaceScript realism fit)", "",
             "Takes: " + ", ".join(f"{n} ({s['frames']} frames at 30 fps)" for n, s in per_take.items()),
             "", *[f"- {n}" for n in notes],
             "- S88's tracked runs shorter than 2 s are not used; rest pools a take's runs, "
             "dynamics use its longest run.", "",
             "| statistic | " + " | ".join(per_take) + " | median |", "| --- |" + " --- |" * (len(per_take) + 1)]
    def row(label, values, med):
        lines.append(f"| {label} | " + " | ".join(f"{v:.4g}" for v in values) + f" | {med:.4g} |")
    for key in ("noise_blend_median", "noise_eye_median", "blinks_per_min"):
        row(key, [s[key] for s in per_take.values()], summary[key])
    for axis in ("gaze_yaw", "gaze_pitch"):
        for k in ("rate_hz", "size_median_rad", "drift_step_std_rad"):
            row(f"{axis} {k}", [s[axis][k] for s in per_take.values()], summary[axis][k])
    for k, med in summary["slopes_median"].items():
        row(f"slope {k}", [s["slopes"][k] for s in per_take.values()], med)
    top = sorted(summary["rest_mean"], key=lambda c: -summary["rest_mean"][c])[:12]
    for c in top:
        row(f"rest {c}", [s["rest"][c] for s in per_take.values()], summary["rest_mean"][c])
    lines.append("\n(last rows: mean, not median, across takes)")
    write_result(args.out, {"per_take": per_take, "summary": summary, "notes": notes},
                 "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
