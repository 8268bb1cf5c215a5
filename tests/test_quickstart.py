"""``tdmm-lm quickstart`` end to end with a micro preset (every stage a few steps), then a rerun
that must skip every stage."""

from __future__ import annotations

import json

import pytest
import yaml

MICRO = """\
# tdmm-lm quickstart --preset (micro: the test's budget)
corpus: {num_samples: 120, seed: 0, realism_copy: true}
vqvae: {config: configs/vqvae/tiny.yaml, overrides: {train.steps: 6, train.eval_every: 6, train.checkpoint_every: 6, train.batch_size: 8, model.width: 32, model.codebook_size: 64, model.code_dim: 16}}
lm: {config: configs/lm/tiny.yaml, overrides: {train.steps: 6, train.eval_every: 6, train.checkpoint_every: 6, train.batch_size: 4, data.max_val_samples: 8}}
lm_l2m: {config: configs/lm/tiny.yaml, overrides: {train.steps: 6, train.eval_every: 6, train.checkpoint_every: 6, train.batch_size: 4, data.max_val_samples: 8}}
mdm: {config: configs/baselines/mdm_tiny.yaml, overrides: {train.steps: 6, train.eval_every: 6, train.checkpoint_every: 6, data.max_val_samples: 8}}
t2m_gpt: {config: configs/baselines/t2m_gpt_tiny.yaml, overrides: {train.steps: 6, train.eval_every: 6, train.checkpoint_every: 6, data.max_val_samples: 8}}
extractor: {config: configs/benchmark/extractor_facescript.yaml, overrides: {train.steps: 10, train.eval_every: 10}}
benchmark: {config: eval/benchmarks/facescript.yaml, overrides: {replications: 2, diversity_times: 4, mm_times: 1, batch_size: 8}}
examples: 1
"""


@pytest.mark.slow
def test_quickstart_runs_every_stage_then_resumes(tmp_path, cli):
    preset = tmp_path / "micro.yaml"
    preset.write_text(MICRO)
    out = tmp_path / "qs"
    rc, stdout, err = cli("quickstart", "--out", out, "--preset", preset)
    assert rc == 0, err
    report = (out / "REPORT.md").read_text()
    for model in ("ground-truth", "random-train", "tdmm-lm", "mdm", "t2m-gpt", "rule-based"):
        assert f"| {model} |" in report, model
    example = json.loads((out / "examples" / "examples.json").read_text())[0]
    assert (out / "examples" / example["mp4"]).stat().st_size > 10_000
    assert f"examples/{example['png']}" in report and example["prompt"] in report
    timings = json.loads((out / "timings.json").read_text())
    assert len(timings) == 14 and "wall clock" in timings     # 13 stages and the whole run
    # the tokenizer trained on the clean corpus (primary: validation) and its realism copy
    vq_data = yaml.safe_load((out / "vq" / "config.yaml").read_text())["data"]
    assert [d["path"] for d in vq_data["datasets"]] == [str(out / "data" / "facescript"),
                                                         str(out / "data" / "facescript_realism")]
    # two workers: stages overlapped, so the run took less than its stages one after another
    assert timings["wall clock"] < sum(v for k, v in timings.items() if k != "wall clock")
    assert "side by side" in stdout
    assert "tdmm-lm chat --model" in stdout

    rc, stdout, err = cli("quickstart", "--out", out, "--preset", preset)
    assert rc == 0, err
    assert stdout.count("done already") == 13


def test_quickstart_preset_errors(tmp_path, cli):
    bad = tmp_path / "bad.yaml"
    bad.write_text("corpus: {num_samples: 10}\nllm: {config: x}\n")
    rc, _, err = cli("quickstart", "--out", tmp_path / "o", "--preset", bad)
    assert rc == 2 and "unknown key(s) ['llm']" in err
    missing = tmp_path / "missing.yaml"
    missing.write_text(MICRO.replace("configs/lm/tiny.yaml", "configs/lm/nope.yaml"))
    rc, _, err = cli("quickstart", "--out", tmp_path / "o2", "--preset", missing)
    assert rc == 2 and "configs/lm/nope.yaml" in err
    typo = tmp_path / "typo.yaml"
    typo.write_text(MICRO.replace("realism_copy: true", "realism: true"))
    rc, _, err = cli("quickstart", "--out", tmp_path / "o3", "--preset", typo)
    assert rc == 2 and "corpus: unknown key(s) ['realism']" in err


@pytest.mark.slow
def test_a_failing_stage_stops_the_one_beside_it(tmp_path, cli):
    """The MDM stage fails while the LM's M2L half trains beside it: the error comes back at
    once (one line, exit 2) and the other worker is stopped, not left to finish its budget."""
    preset = tmp_path / "bad.yaml"
    bad = MICRO.replace("mdm: {config: configs/baselines/mdm_tiny.yaml, overrides: {",
                        "mdm: {config: configs/baselines/mdm_tiny.yaml, overrides: {model.nope: 1, ")
    bad = bad.replace("lm: {config: configs/lm/tiny.yaml, overrides: {train.steps: 6, train.eval_every: 6,",
                      "lm: {config: configs/lm/tiny.yaml, overrides: {train.steps: 100000, "
                      "train.max_minutes: 10, train.eval_every: 100000,", 1)
    assert bad.count("model.nope") == 1 and "train.steps: 100000" in bad
    preset.write_text(bad)
    rc, _, err = cli("quickstart", "--out", tmp_path / "qs", "--preset", preset)
    assert rc == 2 and "unknown key(s) ['model.nope']" in err
    assert not (tmp_path / "qs" / "lm_m2l" / "best").exists()   # stopped before its first validation
