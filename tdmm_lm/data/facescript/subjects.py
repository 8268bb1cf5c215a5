"""Per-subject style: how one synthetic performer differs from another.

Everything is derived from the subject id alone (a CRC of the string seeds the generator), so a
subject looks the same in every corpus and seed, and subject-disjoint splits test whether a
model generalises to unseen faces rather than memorising one performer's quirks.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from dataclasses import dataclass

import numpy as np

from tdmm_lm.motion.formats import ARKIT61_CHANNELS, ARKIT_BLENDSHAPES

_STYLE_SALT = 0x5ACE  # separates subject streams from any sample stream
_N_SHAPES = len(ARKIT_BLENDSHAPES)
_LEFT = np.array([("Left" in c or c.startswith("left")) for c in ARKIT61_CHANNELS])
_RIGHT = np.array([("Right" in c or c.startswith("right")) for c in ARKIT61_CHANNELS])


def subject_id(i: int) -> str:
    """The id of subject number ``i``: ``fs_s000``, ``fs_s001``, ..."""
    return f"fs_s{i:03d}"


@dataclass(frozen=True)
class SubjectStyle:
    """A performer's constant traits.

    ``gain``: overall expressiveness multiplier. ``asymmetry`` in [-0.2, 0.2]: left channels are
    scaled by ``1 + asymmetry`` and right ones by ``1 - asymmetry``. ``blink_rate``: spontaneous
    blinks per minute. ``rest``: ``[61]`` resting offset added to every frame (a faint resting
    expression on the blendshapes, a habitual head/eye pose on the rotations). ``tempo``:
    multiplies every action's timing. ``sway``: head sway amplitude (rad). ``noise``: capture
    jitter std on blendshapes (rotations get a third of it).
    """

    subject: str
    gain: float
    asymmetry: float
    blink_rate: float
    rest: np.ndarray
    tempo: float
    sway: float
    noise: float

    def side_gain(self) -> np.ndarray:
        """``[61]`` per-channel multiplier: ``gain`` with the left/right asymmetry applied."""
        out = np.full(len(ARKIT61_CHANNELS), self.gain)
        out[_LEFT] *= 1.0 + self.asymmetry
        out[_RIGHT] *= 1.0 - self.asymmetry
        return out


@lru_cache(maxsize=4096)
def subject_style(subject: str) -> SubjectStyle:
    """The style of ``subject`` (any string id; deterministic, independent of corpus seed).

    Cached and shared: treat the returned ``rest`` array as read-only.
    """
    rng = np.random.default_rng([_STYLE_SALT, zlib.crc32(subject.encode("utf-8"))])
    rest = np.zeros(len(ARKIT61_CHANNELS))
    rest[:_N_SHAPES] = np.abs(rng.normal(0.0, 0.015, _N_SHAPES))
    # a few channels carry a visible resting expression (a slight frown, a heavy lid...)
    marked = rng.choice(_N_SHAPES, size=4, replace=False)
    rest[marked] += rng.uniform(0.03, 0.1, size=4)
    rest[_N_SHAPES:_N_SHAPES + 3] = rng.normal(0.0, 0.04, 3)       # habitual head pose
    rest[_N_SHAPES + 3:] = np.tile(rng.normal(0.0, 0.02, 3), 2)  # both eyes share a gaze
    rest.flags.writeable = False  # shared through the cache
    return SubjectStyle(
        subject=subject,
        gain=float(rng.uniform(0.8, 1.15)),
        asymmetry=float(rng.uniform(-0.2, 0.2)),
        blink_rate=float(rng.uniform(8.0, 24.0)),  # adults blink ~10-20 per minute
        rest=rest,
        tempo=float(rng.uniform(0.85, 1.15)),
        sway=float(rng.uniform(0.01, 0.04)),
        noise=float(rng.uniform(0.003, 0.012)),
    )
