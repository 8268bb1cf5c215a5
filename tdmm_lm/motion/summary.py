"""A short, JSON-ready description of a motion: what ``tdmm-lm motion inspect`` prints."""

from __future__ import annotations

from typing import Any

import numpy as np

from tdmm_lm.motion.types import Motion


def summarize(motion: Motion) -> dict[str, Any]:
    """Format, rate, length, channels and per-group value ranges of ``motion``."""
    groups = {}
    for group, idx in motion.format.groups(motion.channels).items():
        block = motion.data[:, idx]
        peak_channel = motion.channels[idx[int(np.argmax(block.max(axis=0) - block.min(axis=0)))]]
        groups[group] = {"channels": len(idx), "min": float(block.min()), "max": float(block.max()),
                         "mean": float(block.mean()), "most_active": peak_channel}
    out = {
        "format": motion.format.name,
        "fps": motion.fps,
        "frames": motion.num_frames,
        "duration_s": round(motion.duration, 4),
        "num_channels": len(motion.channels),
        "channels": list(motion.channels),
        "groups": groups,
        "source": motion.meta.get("source"),
    }
    if motion.meta.get("fps_assumed"):
        out["fps_assumed"] = True
    if "gaps" in motion.meta:   # what the reader did with missing frames (motion/gaps.py)
        out["gaps"] = motion.meta["gaps"]
    if "piece" in motion.meta:
        out["piece"], out["pieces"] = motion.meta["piece"], motion.meta["pieces"]
    if motion.shape is not None:
        out["shape_dims"] = int(motion.shape.size)
    return out


def format_summary(summary: dict[str, Any], *, gaps: bool = True) -> str:
    """The human-readable form of ``summarize`` (``gaps``: with the reader's gap report)."""
    fps = f"{summary['fps']:g} fps" + (" (assumed)" if summary.get("fps_assumed") else "")
    piece = f" (piece {summary['piece']} of {summary['pieces']})" if "piece" in summary else ""
    lines = [f"{summary['source']}{piece}",
             f"  format   {summary['format']} ({summary['num_channels']} channels)",
             f"  timing   {summary['frames']} frames, {fps}, {summary['duration_s']:.2f} s",
             "  group          ch      min      max     mean  most active"]
    for name, g in summary["groups"].items():
        lines.append(f"  {name:<13}{g['channels']:>4} {g['min']:>8.3f} {g['max']:>8.3f} "
                     f"{g['mean']:>8.3f}  {g['most_active']}")
    if gaps and "gaps" in summary:
        lines += format_gaps(summary["gaps"])
    return "\n".join(lines)


def format_gaps(report: dict[str, Any]) -> list[str]:
    """The reader's account of missing frames (``motion/gaps.py``), one line per gap."""
    head = (f"  gaps     {report['rows']} rows: {report['lost_rows']} tracking-loss rows, "
            f"{report['skipped_frames']} skipped timecodes, {report['repeated_timecodes']} "
            f"repeated timecodes (--gaps {report['policy']}, --max-gap {report['max_gap_s']:g} s)")
    lines = [head]
    if report["missing_frames"]:
        lines.append(f"           {report['missing_frames']} missing frames: {report['filled']} "
                     f"filled, {report['held']} held, {report['split']} split, "
                     f"{report['trimmed']} trimmed; {report['pieces']} piece(s)")
    lines += [f"           {g['frames']} frames ({g['seconds']:g} s) {g['where']}: {g['action']}"
              for g in report["gaps"]]
    if report.get("truncated_line"):
        lines.append(f"           line {report['truncated_line']}: truncated final line, not read")
    return lines
