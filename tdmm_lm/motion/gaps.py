"""Missing frames in a captured take: the policy that fills, splits or refuses them.

Capture apps lose frames in two ways. Live Link Face writes a row ``Timecode,0`` with no values
when the iPhone loses the face (a "lost" frame), and now and then its timecodes jump by two frame
periods with no row at all (a "skipped" frame). Both leave a hole in the take's timeline; a run
of consecutive missing frames is a *gap*. The policy (``--gaps``, ``--max-gap``) decides:

| mode | interior gap <= max_gap | interior gap > max_gap | gap at the start or end |
| --- | --- | --- | --- |
| ``auto`` (default) | filled (linear) | split: the take becomes several motions | trimmed |
| ``fill`` | filled (linear) | filled (linear) | held at the nearest frame |
| ``split`` | split | split | trimmed |
| ``error`` | refused | refused | refused |

``max_gap`` defaults to 0.5 s: a blink or a turned head is shorter, so interpolating across it
invents little; a longer gap hides real motion, and a straight line through it would teach a
model that faces glide. Filled frames are ``v[a-1] + (k+1)/(L+1) * (v[b] - v[a-1])`` for the
``k``-th of ``L`` missing frames between the last good frame ``a-1`` and the next one ``b``.
Every missing frame is counted in the report under exactly one of ``filled``, ``held``,
``split`` (left out between pieces) or ``trimmed`` (left out at an end); nothing vanishes unseen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tdmm_lm.errors import TdmmError

MODES = ("auto", "fill", "split", "error")
DEFAULT_MAX_GAP = 0.5   # seconds; see the module docstring for why


@dataclass(frozen=True)
class GapPolicy:
    """How to treat missing frames: ``mode`` in ``MODES``, ``max_gap`` in seconds (``auto``)."""

    mode: str = "auto"
    max_gap: float = DEFAULT_MAX_GAP

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise TdmmError(f"--gaps must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not (math.isfinite(self.max_gap) and self.max_gap >= 0):
            raise TdmmError(f"--max-gap must be a number of seconds >= 0, got {self.max_gap}")


@dataclass
class Gap:
    """One run of missing frames ``[start, stop)`` on the take's timeline."""

    start: int
    stop: int
    lost: int          # of which the app wrote a tracking-loss row
    where: str         # file lines, e.g. "at lines 384-512" or "between lines 9 and 10 (...)"
    action: str = ""   # filled | held | split | trimmed

    @property
    def frames(self) -> int:
        return self.stop - self.start


def add_gap_args(parser) -> None:
    """``--gaps``/``--max-gap`` on an argparse parser (the CLI and the data recipes share them)."""
    parser.add_argument("--gaps", choices=MODES, default="auto",
                        help="missing frames (tracking lost, timecodes skipped): auto fills gaps "
                        "up to --max-gap and splits the take at longer ones; fill interpolates "
                        "all; split splits at every gap; error refuses the take (default auto)")
    parser.add_argument("--max-gap", type=float, default=DEFAULT_MAX_GAP, metavar="SECONDS",
                        help=f"longest gap auto fills (default {DEFAULT_MAX_GAP:g} s)")


def policy_from_args(args) -> GapPolicy:
    """The ``GapPolicy`` that ``add_gap_args``' flags ask for."""
    return GapPolicy(args.gaps, args.max_gap)


def find_gaps(present: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of ``False`` in the ``[S]`` bool mask ``present``."""
    edges = np.diff(np.concatenate([[1], present.astype(np.int8), [1]]))
    return list(zip(np.flatnonzero(edges == -1).tolist(), np.flatnonzero(edges == 1).tolist()))


def apply_policy(data: np.ndarray, gaps: list[Gap], fps: float, policy: GapPolicy, *,
                 source: str) -> list[tuple[int, int]]:
    """Fill ``data[S, C]`` in place where ``policy`` says, set each gap's ``action`` and return
    the pieces ``[start, stop)`` the timeline splits into (one piece when nothing splits).

    ``error`` mode raises one ``TdmmError`` naming ``source`` and every gap's file lines.
    """
    total = len(data)
    if gaps and policy.mode == "error":
        missing = sum(g.frames for g in gaps)
        places = "; ".join(f"{g.frames} {g.where}" for g in gaps[:4])
        more = f"; {len(gaps) - 4} more gaps" if len(gaps) > 4 else ""
        raise TdmmError(f"{source}: {missing} missing frames (tracking lost or timecodes "
                        f"skipped) in {len(gaps)} gaps: {places}{more}; --gaps error refuses "
                        "them (use --gaps auto, fill or split)")
    cuts = []   # (start, stop) of the timeline left out of every piece
    for gap in gaps:
        edge = gap.start == 0 or gap.stop == total
        if edge and gap.stop - gap.start == total:
            raise TdmmError(f"{source}: no tracked frame at all ({total} missing frames)")
        if edge:
            gap.action = "held" if policy.mode == "fill" else "trimmed"
        elif policy.mode == "fill" or (policy.mode == "auto" and gap.frames / fps <= policy.max_gap):
            gap.action = "filled"
        else:
            gap.action = "split"
        if gap.action in ("filled", "held"):
            _fill(data, gap.start, gap.stop)
        else:
            cuts.append((gap.start, gap.stop))
    pieces, at = [], 0
    for start, stop in cuts:
        if start > at:
            pieces.append((at, start))
        at = stop
    if at < total:
        pieces.append((at, total))
    return pieces


def report(gaps: list[Gap], policy: GapPolicy, fps: float, pieces: list[tuple[int, int]],
           **counts: Any) -> dict[str, Any]:
    """The JSON-ready account of what happened to every missing frame (``motion inspect``)."""
    out: dict[str, Any] = {"policy": policy.mode, "max_gap_s": policy.max_gap, **counts}
    out["missing_frames"] = sum(g.frames for g in gaps)
    for action in ("filled", "held", "split", "trimmed"):
        out[action] = sum(g.frames for g in gaps if g.action == action)
    out["pieces"] = len(pieces)
    out["gaps"] = [{"where": g.where, "start_frame": g.start, "frames": g.frames, "seconds": round(g.frames / fps, 3),
                    "lost_rows": g.lost, "skipped": g.frames - g.lost, "action": g.action}
                   for g in gaps]
    return out


def describe(report: dict[str, Any]) -> str:
    """One line for logs: how many frames were missing and what became of them."""
    text = (f"{report['missing_frames']} missing frames ({report['lost_rows']} tracking-loss rows, "
            f"{report['skipped_frames']} skipped timecodes; --gaps {report['policy']}): "
            f"{report['filled']} filled, {report['held']} held, {report['split']} split, "
            f"{report['trimmed']} trimmed; {report['pieces']} piece(s): "
            + "; ".join(f"{g['frames']} {g['where']} {g['action']}" for g in report["gaps"]))
    if report.get("truncated_line"):
        text += f"; truncated final line {report['truncated_line']} not read"
    return text


def _fill(data: np.ndarray, start: int, stop: int) -> None:
    """Linear between the neighbours ``start-1`` and ``stop``; held when only one exists."""
    before = data[start - 1] if start > 0 else None
    after = data[stop] if stop < len(data) else None
    if before is None or after is None:
        data[start:stop] = before if after is None else after
        return
    k = np.arange(1, stop - start + 1, dtype=np.float64)[:, None] / (stop - start + 1)
    data[start:stop] = before + k * (after - before)
