import numpy as np
import pytest

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion import ARKIT61, FLAME, Motion, flame_channels, get_format
from tdmm_lm.motion.livelinkface import csv_header
from tests.motion.csv_builders import APP_HEADER


def test_arkit61_matches_the_apps_header():
    assert len(ARKIT61.channels) == 61 and len(set(ARKIT61.channels)) == 61
    assert ",".join(csv_header()) == APP_HEADER
    assert ARKIT61.channels.index("jawRight") < ARKIT61.channels.index("jawLeft")
    assert ARKIT61.native_fps == 60 and FLAME.native_fps == 25


def test_groups_cover_every_channel_once():
    groups = ARKIT61.groups()
    assert sorted(i for idx in groups.values() for i in idx) == list(range(61))
    assert ARKIT61.group("mouthSmileLeft") == "mouth" and ARKIT61.group("headYaw") == "head"
    assert ARKIT61.group("browInnerUp") == "brows" and ARKIT61.group("eyeBlinkRight") == "eyelids"
    assert FLAME.group("expr_49") == "expression" and FLAME.group("eyelid_1") == "eyelids"


def test_mirror_pairs_are_involutions():
    for fmt, channels in ((ARKIT61, ARKIT61.channels), (FLAME, flame_channels(100, True, True))):
        for c in channels:
            partner = fmt.mirror_partner(c)
            assert partner in channels and fmt.mirror_partner(partner) == c
            assert fmt.mirror_sign(partner) == fmt.mirror_sign(c)
    assert ARKIT61.mirror_partner("cheekPuff") == "cheekPuff"


@pytest.mark.parametrize("n,eyes,eyelids,size", [(50, False, False, 56), (100, True, True, 114)])
def test_flame_layouts(n, eyes, eyelids, size):
    channels = flame_channels(n, eyes, eyelids)
    assert len(channels) == size
    Motion(np.zeros((2, size)), 25, FLAME, channels)


def test_invalid_layouts_refused():
    with pytest.raises(TdmmError):
        flame_channels(60)
    with pytest.raises(TdmmError):
        Motion(np.zeros((2, 61)), 60, ARKIT61, ARKIT61.channels[::-1])
    with pytest.raises(TdmmError):
        Motion(np.zeros((2, 5)), 60, ARKIT61, ARKIT61.channels)
    with pytest.raises(TdmmError):
        Motion(np.zeros((2, 61)), 0, ARKIT61, ARKIT61.channels)
    with pytest.raises(TdmmError):
        get_format("smplx")


def test_mirror_pairs_are_the_left_right_channels_whose_difference_is_lopsidedness():
    pairs = {(ARKIT61.channels[i], ARKIT61.channels[j]) for i, j in ARKIT61.mirror_pairs()}
    assert ("eyeBlinkLeft", "eyeBlinkRight") in pairs
    assert ("browOuterUpLeft", "browOuterUpRight") in pairs
    assert ("leftEyePitch", "rightEyePitch") in pairs
    # yaw flips sign under mirroring: left minus right is gaze direction, not lopsidedness
    assert not any("Yaw" in a for a, _ in pairs)
    assert not any("cheekPuff" in (a + b) for a, b in pairs)
    assert len(pairs) == len({a for a, _ in pairs} | {b for _, b in pairs}) // 2


def test_flame_expression_coefficients_have_no_mirror_pairs():
    # the tokenizer's asymmetry term is then no term at all (tests/vqvae/test_losses.py)
    assert FLAME.mirror_pairs() == []

