"""``tdmm-lm eval run`` end to end on the small corpus: reference generators and the
rule-based describer, caching, fps conversion, --only, and the errors users meet."""

import json

import pytest
import yaml

from tdmm_lm.benchmark.config import BenchmarkConfig
from tdmm_lm.benchmark.extractor import ExtractorConfig
from tdmm_lm.benchmark.runner import run_benchmark
from tdmm_lm.errors import TdmmError
from tdmm_lm.generators import register_generator
from tests.benchmark import helpers

register_generator("test-recording", "tests.benchmark.helpers:build_recording")


def _benchmark(corpus, tmp_path, **changes):
    raw = {"name": "tiny", "dataset": str(corpus.dataset), "fps": 30.0, "max_frames": 180,
           "extractor": str(corpus.extractor), "motion_tokenizer": str(corpus.tokenizer),
           "replications": 3, "batch_size": 4, "diversity_times": 4, "mm_times": 2,
           "cache_dir": str(tmp_path / "cache"), "results_dir": str(tmp_path / "results"),
           "generators": ["ground-truth", "random-train"], "describers": ["rule-based"]}
    raw.update(changes)
    path = tmp_path / "bench.yaml"
    path.write_text("# tdmm-lm eval run THIS\n" + yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def results(corpus, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    return run_benchmark(BenchmarkConfig.from_yaml(_benchmark(corpus, tmp)), log=lambda *_: None)


def _mean(row, key):
    return row[key]["mean"]


def test_ground_truth_is_the_ceiling(results):
    gt, rnd = results["generators"]["ground-truth"], results["generators"]["random-train"]
    assert abs(_mean(gt, "fid")) < 1e-4 and _mean(rnd, "fid") > 1.0
    for key in ("l2_expression", "l2_pose", "vertex_mm", "lip_vertex_mm", "frame_fd"):
        assert abs(_mean(gt, key)) < 1e-4, key
        assert _mean(rnd, key) > 1e-3, key
    assert _mean(gt, "token_accuracy") == 1.0 > _mean(rnd, "token_accuracy")
    assert _mean(gt, "matching") < _mean(rnd, "matching")
    assert _mean(gt, "judge") > 0.9 and _mean(gt, "judge") > _mean(rnd, "judge")
    assert len(gt["top1"]["values"]) == 3 and "multimodality" in rnd
    # the ground truth repeats itself: no spread across replications, no multimodality
    assert gt["fid"]["ci95"] < 1e-6 and _mean(gt, "multimodality") < 1e-4 < _mean(rnd, "multimodality")


def test_rule_based_describer_is_scored(results):
    desc = results["describers"]["rule-based"]
    assert _mean(desc, "cor_m") > 0.9 and _mean(desc, "cor_e") > 0.9
    assert 0 < _mean(desc, "bleu_4") <= 100 and 0 < _mean(desc, "bertscore") <= 1.0
    assert {"top1", "top3", "matching", "rouge_l", "cider", "cor_i"} <= set(desc)


def test_cached_generations_are_reused(corpus, tmp_path):
    path = _benchmark(corpus, tmp_path, generators=[{"name": "test-recording", "label": "rec"}],
                      describers=[])
    helpers.CALLS.clear()
    first = run_benchmark(BenchmarkConfig.from_yaml(path), log=lambda *_: None)
    # replications 0, 1, 2; two batches of 4 prompts each, seeds never shared
    assert [c["seed"] for c in helpers.CALLS] == [0, 1, 100_000, 100_001, 200_000, 200_001]
    helpers.CALLS.clear()
    second = run_benchmark(BenchmarkConfig.from_yaml(path), log=lambda *_: None)
    assert helpers.CALLS == []
    assert first["generators"] == second["generators"]
    # other options are another model: generated again
    path = _benchmark(corpus, tmp_path, generators=[{"name": "test-recording", "label": "rec",
                                                     "options": {"fps": 15.0}}], describers=[])
    third = run_benchmark(BenchmarkConfig.from_yaml(path), log=lambda *_: None)
    assert len(helpers.CALLS) == 6
    # the generator runs at 15 fps: it was asked for half the frames and resampled back
    asked = helpers.CALLS[0]["lengths"] + helpers.CALLS[1]["lengths"]
    assert asked == [round(n / 2) for n in _reference_lengths(corpus)]
    assert 0 < _mean(third["generators"]["rec"], "l2_expression") < 0.05


def test_a_checkpoint_retrained_in_place_is_generated_again(corpus, tmp_path):
    from tdmm_lm.generators import write_kind
    run = tmp_path / "run"
    run.mkdir()
    write_kind(run, "test-recording")   # what every checkpoint folder carries (tdmm_lm.artifacts)
    (run / "model.safetensors").write_bytes(b"first weights")
    path = _benchmark(corpus, tmp_path, describers=[], generators=[
        {"name": "test-recording", "label": "rec", "checkpoint": str(run)}])
    helpers.CALLS.clear()
    run_benchmark(BenchmarkConfig.from_yaml(path), log=lambda *_: None)
    assert len(helpers.CALLS) == 6
    helpers.CALLS.clear()
    run_benchmark(BenchmarkConfig.from_yaml(path), log=lambda *_: None)
    assert helpers.CALLS == []          # same checkpoint: cached
    (run / "model.safetensors").write_bytes(b"retrained weights")
    run_benchmark(BenchmarkConfig.from_yaml(path), log=lambda *_: None)
    assert len(helpers.CALLS) == 6      # same path, new weights: generated again


def _reference_lengths(corpus):
    from tdmm_lm.data.schema import load_dataset_dict
    return [len(m) for m in load_dataset_dict(str(corpus.dataset))["test"]["motion"]][:8]


def test_cli_writes_results_and_only_selects(corpus, tmp_path, cli):
    path = _benchmark(corpus, tmp_path, replications=2, metrics=["r_precision", "fid", "matching"])
    rc, out, err = cli("eval", "run", path, "--only", "random-train")
    assert rc == 0, err
    written = list((tmp_path / "results" / "tiny").glob("*.json"))
    assert len(written) == 1
    data = json.loads(written[0].read_text())
    assert list(data["results"]["generators"]) == ["random-train"] and not data["results"]["describers"]
    assert data["environment"]["commit"] and data["results"]["clips"] == 8
    md = written[0].with_suffix(".md").read_text()
    assert "| random-train |" in md and "±" in md and "## Environment" in md


def test_missing_checkpoint_is_one_clear_line(corpus, tmp_path, cli):
    path = _benchmark(corpus, tmp_path, generators=[
        "ground-truth", {"name": "mdm", "checkpoint": str(tmp_path / "no_such_run")}])
    rc, out, err = cli("eval", "run", path)
    assert rc == 2 and f"mdm: {tmp_path / 'no_such_run'}: no such folder" in err and "--only" in err
    assert len(err.strip().splitlines()) == 1
    rc, _, err = cli("eval", "run", path, "--only", "nonesuch")
    assert rc == 2 and "--only" in err
    rc, _, err = cli("eval", "run", _benchmark(corpus, tmp_path), "--limit", "3")
    assert rc == 2 and "3 clips in split 'test' (limit 3)" in err and "Diversity" in err
    assert len(err.strip().splitlines()) == 1
    path = _benchmark(corpus, tmp_path, motion_tokenizer=str(tmp_path / "no_tokenizer"))
    rc, _, err = cli("eval", "run", path)
    assert rc == 2 and f"motion_tokenizer: {tmp_path / 'no_tokenizer'}: no such folder" in err


def test_extractor_of_another_protocol_is_refused(corpus, tmp_path):
    with pytest.raises(TdmmError, match="at 30 fps; the benchmark is arkit61 at 25 fps"):
        run_benchmark(BenchmarkConfig.from_yaml(_benchmark(corpus, tmp_path, fps=25.0)))


@pytest.mark.parametrize("cls, text, match", [
    (ExtractorConfig, "model: {text_encoder: glove}\n", "text_encoder"),
    (ExtractorConfig, "train: {steps: many}\n", "train.steps must be an integer"),
    (ExtractorConfig, "steps: 3\n", r"unknown key\(s\) \['steps'\]"),
    (BenchmarkConfig, "dataset: d\nextractor: e\ngenerators: [ground-truth]\nmetrics: [fid, bleu5]\n",
     "bleu5"),
    (BenchmarkConfig, "dataset: d\nextractor: e\ngenerators: [ground-truth, ground-truth]\n",
     "repeat labels"),
])
def test_config_errors_name_the_field(tmp_path, cls, text, match):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(TdmmError, match=match):
        cls.from_yaml(path)


@pytest.mark.parametrize("name", ["facescript", "express4d"])
def test_shipped_benchmarks_load(name):
    from pathlib import Path
    cfg = BenchmarkConfig.from_yaml(Path(__file__).resolve().parents[2] / "eval" / "benchmarks" / f"{name}.yaml")
    assert cfg.replications == 20 and cfg.batch_size == 32 and cfg.diversity_times == 48
    assert {g.name for g in cfg.generators} >= {"ground-truth", "random-train"}
    if name == "express4d":
        assert cfg.fps == 20.0 and cfg.max_frames == 196
