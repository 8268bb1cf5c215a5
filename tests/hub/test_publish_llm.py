"""``tdmm-lm publish llm RUN --dry-run`` writes a folder that ``TDMMLM.from_pretrained`` loads and
that behaves exactly like the run it came from."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from tdmm_lm.hub.models import probe_motion


@pytest.fixture(scope="module")
def published(tiny_lm_run, tmp_path_factory):
    from tdmm_lm.cli import main
    out = tmp_path_factory.mktemp("published") / "tdmm-lm-tiny"
    assert main(["publish", "llm", str(tiny_lm_run), "--repo-id", "someone/tdmm-lm-tiny",
                 "--dry-run", "--out", str(out)]) == 0
    return out


def test_published_llm_matches_its_run(cli, tiny_lm_run, real_take, tmp_path):
    from tdmm_lm.lm.tdmmlm import TDMMLM
    from tdmm_lm.motion import load

    out = tmp_path / "tdmm-lm-tiny"
    rc, stdout, err = cli("publish", "llm", tiny_lm_run, "--repo-id", "someone/tdmm-lm-tiny",
                          "--dry-run", "--out", out)
    assert rc == 0, err
    assert "verified: TDMMLM.from_pretrained reloads the folder" in stdout
    assert "verified: text tokenizer with chat template" in stdout
    readme = (out / "README.md").read_text()
    header = yaml.safe_load(readme.split("---")[1])
    assert "base_model" not in header          # a config-built base has no Hub id
    assert {"motion-language-model", "arkit61"} <= set(header["tags"])
    assert 'TDMMLM.from_pretrained("someone/tdmm-lm-tiny")' in readme
    assert (out / "metrics.json").is_file() and (out / "motion_tokenizer" / "model.safetensors").is_file()

    # beyond the built-in probe: other inputs, other seeds
    run, published = TDMMLM.from_pretrained(str(tiny_lm_run)), TDMMLM.from_pretrained(str(out))
    take = load(real_take)
    for seed in (0, 3):
        assert run.describe([take], seed=seed) == published.describe([take], seed=seed)
        assert run.answer(take, "which eye blinks?", [], seed=seed) == published.answer(
            take, "which eye blinks?", [], seed=seed)
        a = run.generate(["a person frowns"], [45], seed=seed)[0]
        b = published.generate(["a person frowns"], [45], seed=seed)[0]
        assert np.array_equal(a.data, b.data)
    probe = probe_motion(run.motion_tokenizer)
    assert run.motion_span(probe) == published.motion_span(probe)


def test_loaders_take_the_repo_id_of_a_downloaded_copy(published, tmp_path, monkeypatch, cli):
    """A repo id resolves through the Hub cache (offline here): the generator registry, the
    chat's loader and the CLI all accept ``someone/tdmm-lm-tiny``."""
    import huggingface_hub.constants

    from tdmm_lm.app.session import load_model
    from tdmm_lm.generators import load_generator
    from tdmm_lm.artifacts import TDMM_LM, resolve_artifact

    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--someone--tdmm-lm-tiny"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    shutil.copytree(published, repo / "snapshots" / revision)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))

    assert resolve_artifact("someone/tdmm-lm-tiny", TDMM_LM) == repo / "snapshots" / revision
    generator, chat_model = load_generator("someone/tdmm-lm-tiny"), load_model("someone/tdmm-lm-tiny")
    a = generator.generate(["a person winks"], [30], seed=1)[0]
    b = chat_model.generate(["a person winks"], [30], seed=1)[0]
    assert a.num_frames == 30 and np.array_equal(a.data, b.data)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("/generate a wink --seconds 1\n"))
    rc, out, err = cli("chat", "--model", "someone/tdmm-lm-tiny")
    assert rc == 0 and out.strip() == '"a wink": arkit61, 30 frames at 30 fps (1.00 s)', err
