"""Shapes, exact batching, code layout, save/load and resampling of the tokenizer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.ops import resample
from tests.tiny import make_tokenizer, random_motion


@pytest.mark.parametrize("downsample", [1, 2, 4])
@pytest.mark.parametrize("levels", [1, 2])
def test_shapes(downsample, levels):
    tok = make_tokenizer(downsample=downsample, levels=levels)
    x = torch.randn(3, 32, 61)
    out = tok.model.train()(x)
    assert out["recon"].shape == (3, 32, 61)
    assert out["codes"].shape == (3, 32 // downsample, levels)
    codes = tok.encode(random_motion(30))
    assert len(codes) == -(-30 // downsample) * levels
    assert tok.decode(codes).data.shape == (-(-30 // downsample) * downsample, 61)


def test_batched_equals_one_by_one():
    # one level: an untrained second level sees near-identical residuals, where 1e-7 of float
    # noise can flip a tie; the encoder outputs themselves are checked for every clip
    tok = make_tokenizer()
    motions = [random_motion(n, seed=n) for n in (9, 40, 23)]
    x, mask = tok.batch_tensor([tok.prepare(m) for m in motions])
    z, tmask = tok.model._encode(x, mask)
    for i, m in enumerate(motions):
        zi, _ = tok.model._encode(*tok.batch_tensor([tok.prepare(m)]))
        assert torch.allclose(z[i, :zi.shape[1]], zi[0], atol=1e-5)
    batched = tok.encode_batch(motions)
    assert batched == [tok.encode(m) for m in motions]
    decoded = tok.decode_batch(batched)
    for codes, motion in zip(batched, decoded):
        assert np.allclose(tok.decode(codes).data, motion.data, atol=1e-5)


def test_residual_code_layout():
    tok = make_tokenizer(levels=2)
    codes = tok.encode(random_motion(16))
    assert len(codes) == 4 * 2
    assert all(c < 32 for c in codes[0::2]) and all(32 <= c < 64 for c in codes[1::2])
    assert tok.vocab_size == 64
    with pytest.raises(TdmmError, match="out of range"):
        tok.decode([40, 40])           # level 0 token from level 1's range
    with pytest.raises(TdmmError, match="multiple of 2"):
        tok.decode([1, 33, 2])


def test_save_load_round_trip(tmp_path):
    from tdmm_lm.vqvae import MotionTokenizer
    tok = make_tokenizer(levels=2, downsample=2)
    motion = random_motion(50)
    codes, decoded = tok.encode(motion), tok.decode(tok.encode(motion)).data
    tok.save_pretrained(tmp_path)
    assert {"config.json", "model.safetensors"} <= {p.name for p in tmp_path.iterdir()}
    loaded = MotionTokenizer.from_pretrained(tmp_path)
    assert (loaded.format, loaded.channels, loaded.fps) == (tok.format, tok.channels, tok.fps)
    assert torch.equal(loaded.norm_std, tok.norm_std)
    assert loaded.encode(motion) == codes
    assert np.array_equal(loaded.decode(codes).data, decoded)


def test_other_fps_is_resampled_on_the_way_in_and_out():
    tok = make_tokenizer()
    at60 = random_motion(120, fps=60.0)
    assert tok.encode(at60) == tok.encode(resample(at60, 30.0))
    out = tok.decode(tok.encode(at60), fps=60.0)
    assert out.fps == 60.0 and abs(out.num_frames - 2 * 60) <= 8


def test_format_check():
    tok = make_tokenizer()
    from tdmm_lm.motion import FLAME, Motion
    flame = Motion(np.zeros((10, len(FLAME.channels)), np.float32), 25, "flame", FLAME.channels)
    with pytest.raises(TdmmError, match="reads arkit61"):
        tok.encode(flame)


def test_flame_tokenizer_round_trip_shapes(tmp_path):
    from tdmm_lm.motion import FLAME, Motion
    from tdmm_lm.motion.ops import Normalizer
    from tdmm_lm.vqvae import MotionTokenizer
    from tests.tiny import tiny_config
    d = len(FLAME.channels)
    norm = Normalizer(np.zeros(d, np.float32), np.full(d, 0.5, np.float32), FLAME.channels, "flame")
    tok = MotionTokenizer.build(tiny_config(levels=2), norm, 25.0)
    tok.train()(torch.randn(2, 32, d))
    motion = Motion(np.random.default_rng(0).normal(0, 0.3, (50, d)).astype(np.float32), 25.0,
                    "flame", FLAME.channels)
    codes = tok.encode(motion)
    assert len(codes) == 13 * 2
    out = tok.decode(codes)
    assert out.format.name == "flame" and out.data.shape == (52, d) and out.fps == 25.0
