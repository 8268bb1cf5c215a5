"""One resolver for every artifact kind: a training run, its ``best/`` and a (fake) Hub repo id
name the same folder; a folder of another kind, a missing path and an uncached repo id offline
each give one line."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tdmm_lm.artifacts import (DATASET, EXTRACTOR, GENERATOR, MOTION_TOKENIZER, TDMM_LM,
                               artifact_kind, find_artifact, hub_offline, resolve_artifact)
from tdmm_lm.errors import TdmmError
from tests.tiny import make_tokenizer, random_motion

KINDS = (MOTION_TOKENIZER, TDMM_LM, "mdm", "t2m-gpt", EXTRACTOR, DATASET)
LABELS = {MOTION_TOKENIZER: "a motion tokenizer", TDMM_LM: "a TDMM-LM model",
          "mdm": "a mdm checkpoint", "t2m-gpt": "a t2m-gpt checkpoint",
          EXTRACTOR: "a benchmark extractor", DATASET: "a dataset"}


def _write(kind: str, folder) -> None:
    """A tiny (untrained) artifact of ``kind`` in ``folder``, saved by its own writer."""
    from tdmm_lm.generators import write_kind
    from tdmm_lm.motion import ARKIT61
    torch.manual_seed(0)
    if kind == MOTION_TOKENIZER:
        make_tokenizer(levels=2).save_pretrained(folder)
    elif kind == TDMM_LM:   # the marker only: tests/lm loads a trained run through the resolver
        folder.mkdir(parents=True)
        write_kind(folder, TDMM_LM)
    elif kind == "mdm":
        from tdmm_lm.baselines.generator import save_checkpoint
        from tdmm_lm.baselines.mdm.modeling import MDM
        mdm = {"width": 16, "layers": 1, "heads": 2, "ff_size": 16, "max_frames": 16}
        save_checkpoint(MDM(mdm, "arkit61", list(ARKIT61.channels), 15.0, "minilm", 8, 8), folder, kind)
    elif kind == "t2m-gpt":
        from tdmm_lm.baselines.generator import save_checkpoint
        from tdmm_lm.baselines.t2m_gpt.configuration import T2MGPTConfig
        from tdmm_lm.baselines.t2m_gpt.modeling import T2MGPT
        cfg = T2MGPTConfig(width=16, layers=1, heads=2)
        save_checkpoint(T2MGPT.build(cfg, make_tokenizer(levels=2), "minilm", 8, 8), folder, kind)
    elif kind == EXTRACTOR:
        from tdmm_lm.benchmark.extractor import (ExtractorConfig, ExtractorModel, TextMotionExtractor,
                                                 fit_normalizer)
        cfg = ExtractorConfig(model=ExtractorModel(text_encoder="learned", word_dim=8, vocab_buckets=64,
                                                   text_hidden=8, movement_dim=8, motion_hidden=8,
                                                   embed_dim=8))
        motions = [random_motion(16, seed=s) for s in range(2)]
        TextMotionExtractor(cfg, ARKIT61.channels, "arkit61", 30.0, fit_normalizer(motions)).save(
            folder, {"fingerprint": "test"})
    else:
        import datasets

        from tdmm_lm.data.schema import features
        rows = [{"id": f"c{i}", "subject": "s", "text": "A person smiles.",
                 "texts": ["A person smiles."], "motion": random_motion(12, seed=i).data,
                 "fps": 30.0, "format": "arkit61", "attributes": "{}", "source": "test"}
                for i in range(2)]
        datasets.DatasetDict({"train": datasets.Dataset.from_list(rows, features=features(61))}
                             ).save_to_disk(str(folder))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``{kind: run folder}``: each artifact in ``RUN/best``, beside ``RUN/last`` and, for the
    generators, the root ``generator.json`` the trainers write (a marker without the model)."""
    from tdmm_lm.generators import write_kind
    root = tmp_path_factory.mktemp("artifacts")
    out = {}
    for kind in KINDS:
        run = out[kind] = root / kind
        _write(kind, run / "best")
        (run / "last").mkdir()
        if kind in (TDMM_LM, "mdm", "t2m-gpt"):
            write_kind(run, kind)
    return out


@pytest.fixture
def hub(monkeypatch, runs):
    """``snapshot_download`` answering ``owner/KIND`` with that kind's ``best/`` (and recording
    the repo types asked for)."""
    import huggingface_hub
    asked = []

    def snapshot_download(repo_id, repo_type="model", **_):
        asked.append((repo_id, repo_type))
        return str(runs[repo_id.split("/")[1]] / "best")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    return asked


@pytest.mark.parametrize("kind", KINDS)
def test_run_best_and_hub_id_resolve_to_one_folder(runs, hub, kind):
    run = runs[kind]
    assert artifact_kind(run / "best") == kind
    for given in (run, run / "best", str(run), f"someone/{kind}"):
        assert resolve_artifact(given, kind) == run / "best", given
    assert hub == [(f"someone/{kind}", "dataset" if kind == DATASET else "model")]
    assert find_artifact(run, kind) == run / "best"


@pytest.mark.parametrize("kind", (TDMM_LM, "mdm", "t2m-gpt"))
def test_any_generator_checkpoint_resolves_as_a_generator(runs, kind):
    assert resolve_artifact(runs[kind], GENERATOR) == runs[kind] / "best"


@pytest.mark.parametrize("found, wanted", [(f, w) for f in KINDS for w in KINDS if f != w])
def test_another_kind_is_one_line_naming_both(runs, found, wanted):
    with pytest.raises(TdmmError) as e:
        resolve_artifact(runs[found], wanted)
    assert str(e.value) == f"{runs[found]}: is {LABELS[found]}, expected {LABELS[wanted]}"
    assert find_artifact(runs[found], wanted) is None


def test_the_loaders_read_every_form(runs, hub):
    """Each loader goes through the resolver: run root, best/ and repo id give the same model."""
    from tdmm_lm.baselines.generator import load_model
    from tdmm_lm.benchmark.extractor import TextMotionExtractor
    from tdmm_lm.data.schema import load_dataset_dict
    from tdmm_lm.vqvae.tokenizer import MotionTokenizer

    def forms(kind: str) -> tuple:
        return runs[kind], runs[kind] / "best", f"someone/{kind}"

    motion = random_motion(24)
    codes = [MotionTokenizer.from_pretrained(f).encode(motion) for f in forms(MOTION_TOKENIZER)]
    assert codes[0] == codes[1] == codes[2] and len(codes[0]) == 12
    for kind in ("mdm", "t2m-gpt"):
        models = [load_model(kind, f) for f in forms(kind)]
        assert {m.source for m in models} == {runs[kind] / "best"}
        assert all(torch.equal(a, b) for a, b in zip(models[0].state_dict().values(),
                                                     models[2].state_dict().values()))
    extractors = [TextMotionExtractor.load(f) for f in forms(EXTRACTOR)]
    assert {e.meta["fingerprint"] for e in extractors} == {"test"}
    data = [load_dataset_dict(f)["train"] for f in forms(DATASET)]
    assert all(np.array_equal(d[1]["motion"], data[0][1]["motion"]) for d in data)


def test_a_tokenizer_loader_given_a_baseline_says_so(runs):
    """Today's TypeError (the mixin fed an MDM config to the tokenizer) is one line now."""
    from tdmm_lm.vqvae.tokenizer import MotionTokenizer
    with pytest.raises(TdmmError, match="is a mdm checkpoint, expected a motion tokenizer$"):
        MotionTokenizer.from_pretrained(runs["mdm"])


def test_a_run_without_best_is_refused_whatever_its_root_marker(tmp_path):
    from tdmm_lm.generators import write_kind
    (tmp_path / "last").mkdir()
    write_kind(tmp_path, "mdm")
    with pytest.raises(TdmmError, match="a training run with no best/ yet"):
        resolve_artifact(tmp_path, "mdm")
    assert find_artifact(tmp_path, "mdm") is None


def test_files_missing_paths_and_empty_folders(tmp_path):
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(TdmmError, match="f.txt: expected a folder, got a file$"):
        resolve_artifact(tmp_path / "f.txt", MOTION_TOKENIZER)
    with pytest.raises(TdmmError, match=r"no such folder \(and not a Hub repo id owner/name\)$"):
        resolve_artifact(tmp_path / "a" / "b", MOTION_TOKENIZER)
    with pytest.raises(TdmmError) as e:
        resolve_artifact(tmp_path, MOTION_TOKENIZER)
    assert str(e.value) == (f"{tmp_path}: not a motion tokenizer (no config.json with a 'vq' "
                            "section in it or in its best/); pass a tokenizer folder, a `tdmm-lm "
                            "vq train` run, or a Hub repo id")


def test_an_uncached_repo_id_offline_says_so(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub_offline()
    with pytest.raises(TdmmError) as e:
        resolve_artifact("nobody-tdmm/not-cached-anywhere", TDMM_LM)
    assert str(e.value) == ("nobody-tdmm/not-cached-anywhere: no such local folder, and the Hub "
                            "is offline (HF_HUB_OFFLINE=1) with no cached copy; pass a folder or "
                            "go online")
