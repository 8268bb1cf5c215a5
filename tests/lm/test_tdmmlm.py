"""TDMMLM inference on the tiny run: constrained L2M, malformed output, describe/answer,
save/load round trip, the generator registry."""

import warnings

import numpy as np
import pytest
import torch

from tdmm_lm.lm.tdmmlm import TDMMLM
from tests.tiny import random_motion


@pytest.fixture(scope="module")
def lm(tiny_lm_run):
    torch.set_num_threads(1)
    return TDMMLM.from_pretrained(str(tiny_lm_run))


def test_generate_honours_lengths_and_seeds(lm):
    prompts = ["A person winks their left eye.", "Someone nods twice."]
    a = lm.generate(prompts, [37, 50], seed=3)
    assert [m.num_frames for m in a] == [37, 50] and all(m.fps == lm.fps for m in a)
    assert all(np.isfinite(m.data).all() and m.data.shape[1] == 61 for m in a)
    b = lm.generate(prompts, [37, 50], seed=3)
    assert all(np.array_equal(x.data, y.data) for x, y in zip(a, b))
    free = lm.generate(prompts, None, seed=3)
    limit = lm.cfg.generation.max_seconds * lm.fps
    assert all(0 < m.num_frames <= limit and m.num_frames % lm.motion_tokenizer.downsample == 0
               for m in free)


def test_constrained_decoding_writes_only_valid_codes(lm):
    need = lm._codes_for(40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # a malformed span would warn
        codes, problems = lm._vocab_codes(["A person smiles."] * 3, [None] * 3, [need, None, 4],
                                          lm._codes_for(60), seed=0)
    assert problems == [[], [], []]
    assert len(codes[0]) == need and len(codes[2]) == 4
    k = lm.motion_tokenizer.codebook_size
    for row in codes:
        assert all(c // k == i % lm.motion_tokenizer.levels for i, c in enumerate(row))


@pytest.mark.parametrize("case", ["no_end", "stray_text", "too_long", "nothing"])
def test_malformed_output_decodes_to_the_longest_valid_motion(lm, case):
    v, k = lm.vocab, lm.motion_tokenizer.codebook_size
    step = v.to_ids([1, k + 1])                          # one whole token step (2 levels)
    limit = lm._codes_for(int(lm.cfg.generation.max_seconds * lm.fps))
    ids, frames = {
        "no_end": ([v.start_id, *step * 3], 3 * 4),
        "stray_text": ([v.start_id, *step * 2, 17, *step, v.end_id], 2 * 4),
        "too_long": ([v.start_id, *step * (limit // 2 + 5), v.end_id], limit // 2 * 4),
        "nothing": ([5, 6, 7], 4),
    }[case]
    with pytest.warns(UserWarning, match="malformed motion output"):
        motion = lm.decode_output(ids)
    assert motion.num_frames == frames and np.isfinite(motion.data).all()
    with pytest.warns(UserWarning):
        assert lm.decode_output(ids, length=30).num_frames == 30


def test_describe_and_answer_return_text_without_motion_tokens(lm, real_take):
    from tdmm_lm.motion import load
    take = load(real_take)                                # 60 fps: the tokenizer resamples
    texts = lm.describe([take, random_motion(45)], seed=0)
    assert len(texts) == 2 and all(isinstance(t, str) and "<motion_" not in t for t in texts)
    assert texts == lm.describe([take, random_motion(45)], seed=0)   # greedy: deterministic
    reply = lm.answer(take, "Which eye winks?", [("Does the head move?", "No, the head stays still.")])
    assert isinstance(reply, str) and "<motion_" not in reply


def test_a_motion_longer_than_the_model_reads_is_described_window_by_window(lm):
    limit = lm.cfg.generation.max_seconds
    long = random_motion(int(2.5 * limit * 30))           # 2.5 windows long: three equal windows
    third = 2.5 * limit / 3
    spans = [f"{k * third:.1f}-{(k + 1) * third:.1f}" for k in range(3)]
    lines = lm.describe([long], seed=0)[0].split("\n")
    assert [line.split(" s: ")[0] for line in lines] == spans
    assert all(line.split(" s: ", 1)[1] and "<motion_" not in line for line in lines)
    reply = lm.answer(long, "Which eye winks?")
    assert reply.count("\n") == 2 and reply.startswith(f"{spans[0]} s: ")
    short = random_motion(int(limit * 30))                # fits: one reply, no time span
    assert not lm.describe([short], seed=0)[0].startswith("0.0-")


def test_save_pretrained_round_trip(lm, tmp_path):
    lm.save_pretrained(tmp_path / "copy")
    again = TDMMLM.from_pretrained(str(tmp_path / "copy"))
    ids = torch.tensor([lm.vocab.to_ids([0, 32, 1, 33])])
    with torch.no_grad():
        torch.testing.assert_close(again.model(input_ids=ids).logits, lm.model(input_ids=ids).logits)
    assert (tmp_path / "copy" / "model" / "tokenizer.json").is_file()   # model/ is a plain HF folder
    a, b = lm.generate(["A person smiles."], [20], seed=1), again.generate(["A person smiles."], [20], seed=1)
    assert np.array_equal(a[0].data, b[0].data)


def test_registry_builds_it_from_the_run_root(tiny_lm_run):
    from tdmm_lm.generators import BuildContext, MotionDescriber, MotionGenerator, build_describer, load_generator
    gen = load_generator(tiny_lm_run)
    assert isinstance(gen, MotionGenerator) and gen.name == "tdmm-lm" and gen.fps == 30.0
    assert isinstance(build_describer("tdmm-lm", str(tiny_lm_run), BuildContext()), MotionDescriber)


def test_not_a_run_folder_is_a_user_error(tmp_path):
    from tdmm_lm.errors import TdmmError
    with pytest.raises(TdmmError, match="not a TDMM-LM model"):
        TDMMLM.from_pretrained(str(tmp_path))


def test_run_best_and_repo_id_load_the_same_model(lm, tiny_lm_run, monkeypatch):
    """``from_pretrained`` resolves a run, its ``best/`` and a Hub repo id to one folder."""
    import huggingface_hub
    monkeypatch.setattr(huggingface_hub, "snapshot_download",
                        lambda repo_id, repo_type="model", **_: str(tiny_lm_run / "best"))
    expected = lm.generate(["A person smiles."], [12], seed=5)[0].data
    for given in (tiny_lm_run / "best", "someone/tdmm-lm-tiny"):
        again = TDMMLM.from_pretrained(given)
        assert np.array_equal(again.generate(["A person smiles."], [12], seed=5)[0].data, expected)
