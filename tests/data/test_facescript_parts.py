"""FaceScript building blocks: the ARKit -> FLAME map, envelopes and English inflection."""

from __future__ import annotations

import numpy as np
import pytest

from tdmm_lm.data.facescript.curves import envelope
from tdmm_lm.data.facescript.plan import SegmentSpec
from tdmm_lm.data.facescript.text import describe, gerund, third_person
from tdmm_lm.data.synthetic import ARKIT_TO_FLAME_EXPR, arkit_to_flame
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.formats import ARKIT61_CHANNELS, flame_channels
from tdmm_lm.motion.types import Motion


def _arkit(data: np.ndarray, fps: float = 30.0) -> Motion:
    return Motion(data, fps, "arkit61", ARKIT61_CHANNELS)


def test_arkit_to_flame_keeps_frames_fps_and_maps_jaw_and_head():
    data = np.zeros((20, 61), np.float32)
    data[:, ARKIT61_CHANNELS.index("jawOpen")] = np.linspace(0, 1, 20)
    data[:, ARKIT61_CHANNELS.index("headPitch")] = 0.2
    data[:, ARKIT61_CHANNELS.index("headYaw")] = -0.1
    data[:, ARKIT61_CHANNELS.index("headRoll")] = 0.05
    data[:, ARKIT61_CHANNELS.index("jawLeft")] = 0.5
    flame = arkit_to_flame(_arkit(data, fps=24.0))
    assert flame.num_frames == 20 and flame.fps == 24.0 and flame.channels == flame_channels(50)
    jaw = flame.channel("jaw_0")
    assert np.all(np.diff(jaw) > 0) and jaw[0] == 0 and jaw[-1] == pytest.approx(0.3)
    assert flame.channel("jaw_1")[0] > 0  # jaw to the subject's left = positive yaw
    np.testing.assert_allclose(flame.data[0, -3:], [0.2, -0.1, 0.05], atol=1e-6)
    assert np.abs(flame.data[:, :50]).max() == 0  # jawOpen/jawLeft feed the jaw, not expr


def test_expression_map_is_fixed_sparse_and_lossless():
    assert ARKIT_TO_FLAME_EXPR.shape == (52, 50)
    assert np.count_nonzero(ARKIT_TO_FLAME_EXPR) == 49 * 3
    assert np.linalg.matrix_rank(ARKIT_TO_FLAME_EXPR) == 49
    smile = np.zeros((1, 61), np.float32)
    smile[0, ARKIT61_CHANNELS.index("mouthSmileLeft")] = 1.0
    expr = arkit_to_flame(_arkit(smile)).data[0, :50]
    assert np.count_nonzero(expr) == 3 and np.linalg.norm(expr) == pytest.approx(1.5, rel=1e-5)
    # frozen: a changed seed or construction would silently change every FLAME sample
    assert float(np.abs(ARKIT_TO_FLAME_EXPR).sum()) == pytest.approx(
        103.02284825812342, rel=1e-9)


def test_arkit_to_flame_rejects_flame_input():
    flame = Motion(np.zeros((2, 56)), 25, "flame", flame_channels(50))
    with pytest.raises(TdmmError, match="arkit61"):
        arkit_to_flame(flame)


def test_envelope_is_smooth_and_bounded():
    t = np.linspace(0, 3, 301)
    env = envelope(t, 0.5, 0.4, 1.0, 0.6)
    assert env.min() == 0 and env.max() == 1
    assert env[t < 0.5].max() == 0 and env[t > 2.5].max() == 0
    assert np.all(env[(t > 0.9) & (t < 1.9)] == 1)
    assert np.abs(np.diff(env)).max() < 0.05  # no jumps


@pytest.mark.parametrize("base, third, ing", [("nod", "nods", "nodding"),
                                               ("smile broadly", "smiles broadly",
                                                "smiling broadly"),
                                               ("press {their} lips", "presses {their} lips",
                                                "pressing {their} lips"),
                                               ("arch", "arches", "arching"),
                                               ("see", "sees", "seeing"),
                                               ("let out a yawn", "lets out a yawn",
                                                "letting out a yawn"),
                                               ("open", "opens", "opening"),
                                               ("gasp", "gasps", "gasping")])
def test_inflection(base, third, ing):
    assert third_person(base) == third and gerund(base) == ing


def test_canonical_description_reads_well():
    specs = [SegmentSpec("wink", "left", repetitions=2),
             SegmentSpec("nod", speed="slow", relation="while"),
             SegmentSpec("frown", intensity="strong", relation="then")]
    assert describe(specs, None) == ("A person winks their left eye twice while nodding slowly, "
                                     "then strongly frowns.")
