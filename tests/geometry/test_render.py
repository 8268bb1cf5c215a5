"""Rasteriser, pictures, animations and the ``tdmm-lm render`` command."""

from __future__ import annotations

import argparse

import imageio.v3 as iio
import numpy as np
import pytest

from tdmm_lm.cli import render as render_cli
from tdmm_lm.errors import TdmmError
from tdmm_lm.geometry import ArkitGeometry
from tdmm_lm.geometry.procedural_rig import procedural_rig
from tdmm_lm.geometry.raster import rasterize
from tdmm_lm.geometry.render import render_to_file
from tdmm_lm.motion import Motion, load
from tdmm_lm.motion.formats import ARKIT61, ARKIT61_CHANNELS


def test_rasterizer_covers_a_triangle_and_keeps_the_nearest():
    screen = np.array([[0, 0, 5], [10, 0, 5], [10, 10, 5], [0, 10, 5],   # far square
                       [0, 0, 1], [10, 0, 1], [10, 10, 1]], float)       # near lower triangle
    tris = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6]])
    face, bary = rasterize(screen, tris, 12, 12)
    assert (face[:10, :10] >= 0).all() and (face[10:] == -1).all() and (face[:, 10:] == -1).all()
    assert face[1, 8] == 2                 # x > y: covered by far and near, the nearer wins
    assert face[8, 1] == 1                 # x < y: only the far square
    np.testing.assert_allclose(bary[face >= 0].sum(-1), 1, atol=1e-6)
    assert (face == 2).sum() >= 45


def _blink_motion(frames: int = 30) -> Motion:
    data = np.zeros((frames, len(ARKIT61_CHANNELS)), np.float32)
    data[10:16, ARKIT61_CHANNELS.index("eyeBlinkLeft")] = 1
    data[:, ARKIT61_CHANNELS.index("jawOpen")] = np.linspace(0, 0.8, frames)
    return Motion(data, 30.0, ARKIT61, ARKIT61_CHANNELS)


@pytest.mark.parametrize("ext", ["gif", "mp4"])
def test_animation_files_have_the_expected_frames(tmp_path, ext):
    geo = ArkitGeometry(procedural_rig())
    out = render_to_file(geo, _blink_motion(), tmp_path / f"a.{ext}", fps=15,
                         compare=_blink_motion(20), captions=["a", "b"])
    frames = iio.imread(out)
    assert frames.shape[0] == 15 and frames.shape[-1] == 3
    assert frames.shape[1:3] == (288, 1024)                        # caption + 2 views × 2 motions
    assert frames[0].std() > 10                                    # not blank


def test_contact_sheet_shows_the_blink(tmp_path):
    geo = ArkitGeometry(procedural_rig())
    path = render_to_file(geo, _blink_motion(), tmp_path / "s.png")
    sheet = iio.imread(path)
    assert sheet.shape[1] == 6 * 192 and sheet.shape[0] > 2 * 192 + 250


def test_cli_renders_the_real_take_and_rejects_bad_requests(tmp_path, real_take, capsys):
    parser = argparse.ArgumentParser()
    render_cli.register(parser.add_subparsers())
    run = lambda *a: parser.parse_args(list(a)).handler(parser.parse_args(list(a)))  # noqa: E731
    assert run("render", str(real_take), "-o", str(tmp_path / "t.png")) == 0
    assert iio.imread(tmp_path / "t.png").shape[1] == 1152
    with pytest.raises(TdmmError, match=r"\.png, \.gif, \.mp4"):
        run("render", str(real_take), "-o", str(tmp_path / "t.avi"))
    with pytest.raises(TdmmError, match="rig"):
        run("render", str(real_take), "-o", str(tmp_path / "t.png"), "--rig", str(tmp_path / "no.npz"))
    with pytest.raises(TdmmError):
        run("render", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "t.png"))
    assert load(real_take).num_frames == 328
