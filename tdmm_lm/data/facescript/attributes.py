"""Ground-truth attributes of a clip, as the JSON-able dict stored in the ``attributes`` column.

Fields (times in seconds, rounded to milliseconds):

- ``segments``: one dict per scripted action, in script order: ``action`` (a ``PRIMITIVES`` key),
  ``side`` (left/right/None), ``intensity`` (slight/moderate/strong), ``speed``
  (slow/normal/quick), ``repetitions``, ``start_s``, ``end_s``, ``relation`` (then/while/None).
- ``emotion``: the dominant emotion (one of ``EMOTIONS``): the emotion-bearing action with the
  largest intensity x duration, ``neutral`` when none carries one.
- ``head_motion``: ``{"type": none/nod/shake/tilt, "side": left/right/None}``, the longest one.
- ``intensity``: the dominant intensity (that of the longest action).
- ``spontaneous_blinks``: onsets of blinks the script did not ask for (judges ignore them).
- ``duration_s``, ``subject``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from tdmm_lm.data.facescript.plan import Segment, SegmentSpec
from tdmm_lm.data.facescript.primitives import INTENSITY_GAIN, PRIMITIVES

ATTRIBUTE_FIELDS: tuple[str, ...] = ("segments", "emotion", "head_motion", "intensity",
                                     "spontaneous_blinks", "duration_s", "subject")


def _ms(x: float) -> float:
    return round(float(x), 3)


def summarise(segments: Sequence[Segment], blinks: Sequence[float], duration: float,
              subject: str) -> dict[str, Any]:
    """The attributes dict for a rendered clip (see the module docstring for the fields)."""
    rows = [{"action": s.spec.action, "side": s.spec.side, "intensity": s.spec.intensity,
             "speed": s.spec.speed, "repetitions": s.spec.repetitions,
             "start_s": _ms(s.start), "end_s": _ms(min(s.end, duration)),
             "relation": s.spec.relation} for s in segments]
    length = {id(s): s.end - s.start for s in segments}
    emotional = [s for s in segments if PRIMITIVES[s.spec.action].emotion]
    emotion = "neutral"
    if emotional:
        top = max(emotional, key=lambda s: INTENSITY_GAIN[s.spec.intensity] * length[id(s)])
        emotion = PRIMITIVES[top.spec.action].emotion
    heads = [s for s in segments if PRIMITIVES[s.spec.action].head_motion]
    head = {"type": "none", "side": None}
    if heads:
        top = max(heads, key=lambda s: length[id(s)])
        head = {"type": PRIMITIVES[top.spec.action].head_motion, "side": top.spec.side}
    intensity = max(segments, key=lambda s: length[id(s)]).spec.intensity
    return {"segments": rows, "emotion": emotion, "head_motion": head, "intensity": intensity,
            "spontaneous_blinks": [_ms(b) for b in blinks], "duration_s": _ms(duration),
            "subject": subject}


def segment_spec(row: Mapping[str, Any]) -> SegmentSpec:
    """The script segment one ``segments`` entry of ``summarise`` was rendered from (the inverse
    of its row; times are dropped, missing fields take their defaults)."""
    return SegmentSpec(row["action"], row.get("side"), row.get("intensity", "moderate"),
                       row.get("speed", "normal"), int(row.get("repetitions", 1)), row.get("relation"))
