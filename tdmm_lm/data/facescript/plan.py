"""What happens when: sample (or validate) a script of 1-3 segments and lay it out in time.

A script is a list of ``SegmentSpec`` (what to do); ``layout`` turns it into ``Segment`` objects
(when to do it, in seconds). ``relation`` links a segment to the one before it: ``"then"`` starts
after everything so far has ended, ``"while"`` starts during the previous segment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np

from tdmm_lm.data.facescript.primitives import (INTENSITIES, PRIMITIVES, SIDES, SPEED_FACTOR,
                                                SPEEDS)
from tdmm_lm.data.facescript.subjects import SubjectStyle
from tdmm_lm.errors import TdmmError

RELATIONS: tuple[str, ...] = ("then", "while")
MAX_REPETITIONS = 3
_REP_GAP = 0.12  # s of rest between repetitions of a pulse, at normal speed


@dataclass(frozen=True)
class SegmentSpec:
    """One action of a script. ``relation`` is None for the first segment."""

    action: str
    side: str | None = None
    intensity: str = "moderate"
    speed: str = "normal"
    repetitions: int = 1
    relation: str | None = None

    def validate(self, position: int) -> SegmentSpec:
        """Raise ``TdmmError`` naming the bad field; returns the spec, with an ungraded action's
        intensity set to the action's own."""
        where = f"segment {position}"
        prim = PRIMITIVES.get(self.action)
        if prim is None:
            raise TdmmError(f"{where}: unknown action {self.action!r}; choose one of "
                            f"{sorted(PRIMITIVES)}")
        if prim.sided and self.side not in SIDES:
            raise TdmmError(f"{where}: action {self.action!r} needs side 'left' or 'right', "
                            f"got {self.side!r}")
        if not prim.sided and self.side is not None:
            raise TdmmError(f"{where}: action {self.action!r} has no side; set side=None")
        if not prim.graded and self.intensity != prim.intensity:
            # the action names its own intensity ("smile broadly"); the spec follows it
            return replace(self, intensity=prim.intensity).validate(position)
        if self.intensity not in INTENSITIES:
            raise TdmmError(f"{where}: intensity must be one of {INTENSITIES}, "
                            f"got {self.intensity!r}")
        if self.speed not in SPEEDS:
            raise TdmmError(f"{where}: speed must be one of {SPEEDS}, got {self.speed!r}")
        max_reps = MAX_REPETITIONS if prim.repeatable else 1
        if not (isinstance(self.repetitions, int) and 1 <= self.repetitions <= max_reps):
            raise TdmmError(f"{where}: repetitions of {self.action!r} must be an int in "
                            f"1..{max_reps}, got {self.repetitions!r}")
        expected = "none" if position == 0 else "'then' or 'while'"
        if (self.relation is None) != (position == 0) or (
                self.relation is not None and self.relation not in RELATIONS):
            raise TdmmError(f"{where}: relation must be {expected}, got {self.relation!r}")
        return self

    @staticmethod
    def coerce(item: SegmentSpec | Mapping[str, Any], position: int) -> SegmentSpec:
        """Accept a spec or a plain dict (``{"action": "nod", "repetitions": 2}``); the first
        segment's missing relation is None, later ones default to ``"then"``."""
        if isinstance(item, SegmentSpec):
            spec = item
        else:
            fields = dict(item)
            fields.setdefault("relation", None if position == 0 else "then")
            try:
                spec = SegmentSpec(**fields)
            except TypeError as e:
                raise TdmmError(f"segment {position}: {e}") from None
        return spec.validate(position)


@dataclass(frozen=True)
class Segment:
    """A spec placed in time. ``start`` is the onset; the action ends at ``end`` (seconds).

    For pulses, ``attack/hold/release`` describe one repetition and ``period`` separates onsets;
    for cycles ``hold`` is the whole oscillating stretch.
    """

    spec: SegmentSpec
    start: float
    attack: float
    hold: float
    release: float
    period: float

    @property
    def pulses(self) -> int:
        """How many envelopes are played: one per repetition for pulses, else one."""
        return self.spec.repetitions if PRIMITIVES[self.spec.action].kind == "pulse" else 1

    @property
    def end(self) -> float:
        return self.start + (self.pulses - 1) * self.period + self.active

    @property
    def active(self) -> float:
        """Length of one repetition's envelope."""
        return self.attack + self.hold + self.release

    def scaled(self, origin: float, factor: float) -> Segment:
        """Time-compressed about ``origin`` (used to fit a script into ``max_seconds``)."""
        return replace(self, start=origin + (self.start - origin) * factor,
                       attack=self.attack * factor, hold=self.hold * factor,
                       release=self.release * factor, period=self.period * factor)


def sample_specs(rng: np.random.Generator) -> list[SegmentSpec]:
    """A random script: 1-3 segments, 'while' only between actions on disjoint channels."""
    n = int(rng.choice([1, 2, 3], p=[0.35, 0.4, 0.25]))
    names = list(PRIMITIVES)
    specs: list[SegmentSpec] = []
    while len(specs) < n:
        prim = PRIMITIVES[names[rng.integers(len(names))]]
        relation = None if not specs else str(rng.choice(RELATIONS, p=[0.7, 0.3]))
        side = str(rng.choice(SIDES)) if prim.sided else None
        if specs:
            prev = specs[-1]
            if prim.name == prev.action:
                continue  # "nods, then nods" reads as repetitions; draw again
            # everything since the last "then" is still going on; a smile cannot happen
            # "while" a frown on the same lips
            group = specs[max(i for i, s in enumerate(specs) if s.relation != "while"):]
            if relation == "while" and any(_overlap(s, prim.name, side) for s in group):
                relation = "then"
        reps = int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2])) if prim.repeatable else 1
        intensity = str(rng.choice(INTENSITIES)) if prim.graded else prim.intensity
        speed = str(rng.choice(SPEEDS, p=[0.25, 0.5, 0.25]))
        specs.append(SegmentSpec(prim.name, side, intensity, speed, reps, relation))
    return specs


def _overlap(prev: SegmentSpec, action: str, side: str | None) -> bool:
    a = set(PRIMITIVES[prev.action].channels(prev.side))
    return bool(a & set(PRIMITIVES[action].channels(side)))


def layout(specs: Sequence[SegmentSpec], style: SubjectStyle, rng: np.random.Generator,
           min_seconds: float, max_seconds: float) -> tuple[list[Segment], float]:
    """Place ``specs`` in time; returns the segments and the clip duration in seconds.

    Timings jitter a little per sample and scale with speed and the subject's tempo. A script
    too long for ``max_seconds`` is compressed uniformly; a short one gets a longer tail.
    """
    # lead-in and tail of rest; capped so that even a short clip leaves room for the actions
    lead = min(float(rng.uniform(0.25, 0.6)), 0.12 * max_seconds)
    segments: list[Segment] = []
    for spec in specs:
        prim = PRIMITIVES[spec.action]
        k = SPEED_FACTOR[spec.speed] * style.tempo * float(rng.uniform(0.9, 1.1))
        attack, hold, release = (x * k for x in prim.timing)
        if prim.kind == "hold":
            hold *= float(rng.uniform(0.7, 1.4))
        elif prim.kind == "cycle":
            hold *= spec.repetitions  # one sine period per repetition
        period = attack + hold + release + _REP_GAP * k
        if not segments:
            start = lead
        elif spec.relation == "while":
            prev = segments[-1]
            start = prev.start + float(rng.uniform(0.0, 0.3)) * (prev.end - prev.start)
        else:
            start = max(s.end for s in segments) + float(rng.uniform(0.1, 0.35))
        segments.append(Segment(spec, start, attack, hold, release, period))
    end = max(s.end for s in segments)
    tail = min(float(rng.uniform(0.25, 0.6)), 0.12 * max_seconds)
    if end + tail > max_seconds:
        factor = (max_seconds - lead - tail) / (end - lead)
        segments = [s.scaled(lead, factor) for s in segments]
        end = max(s.end for s in segments)
    duration = min(max(end + tail, min_seconds), max_seconds)
    return segments, duration
