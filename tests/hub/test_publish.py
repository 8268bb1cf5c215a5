"""Publishing: the repository folder, its card, the reload check, and uploads that happen only
after the folder is complete and verified (never offline, never without a token)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from tdmm_lm.hub import PublishConfig, publish
from tdmm_lm.hub.config import MARKER
from tests.tiny import make_tokenizer


@pytest.fixture
def tokenizer_dir(tmp_path):
    folder = tmp_path / "vq_run" / "best"
    make_tokenizer(levels=2).save_pretrained(folder)
    (folder / "config.yaml").write_text("model: {}\n")   # the trainer saves it beside best/ weights
    return folder


def _header(readme: str) -> dict:
    return yaml.safe_load(readme.split("---")[1])


class FakeApi:
    """Records Hub calls; checks that the folder is complete when the upload starts."""

    calls: list[tuple] = []

    def __init__(self, *a, **k) -> None:
        pass

    def whoami(self, token=None):
        FakeApi.calls.append(("whoami", token))
        return {"name": "someone"}

    def create_repo(self, repo_id, **kw):
        FakeApi.calls.append(("create_repo", repo_id, kw))

    def upload_folder(self, *, folder_path, repo_id, repo_type, commit_message, ignore_patterns):
        from pathlib import Path
        files = sorted(p.name for p in Path(folder_path).iterdir())
        FakeApi.calls.append(("upload_folder", repo_id, repo_type, files, ignore_patterns))
        return type("Commit", (), {"repo_url": f"https://huggingface.co/{repo_id}"})()


@pytest.fixture
def fake_hub(monkeypatch):
    import huggingface_hub

    import tdmm_lm.hub.pipeline as pub
    FakeApi.calls = []
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_test")
    monkeypatch.setattr(pub, "hub_offline", lambda: False)
    return FakeApi.calls


def test_tokenizer_dry_run_writes_a_complete_verified_folder(cli, tokenizer_dir, tmp_path):
    out = tmp_path / "repo"
    rc, stdout, err = cli("publish", "tokenizer", tokenizer_dir.parent, "--repo-id",
                          "someone/vq-tiny", "--dry-run", "--out", out)
    assert rc == 0, err
    assert "verified: encode + decode of a 60-frame probe identical" in stdout
    assert "dry run: nothing uploaded" in stdout
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([MARKER, "README.md", "config.json", "config.yaml",
                            "model.safetensors"])
    from tdmm_lm.vqvae import MotionTokenizer
    a, b = MotionTokenizer.from_pretrained(str(tokenizer_dir)), MotionTokenizer.from_pretrained(str(out))
    assert all(np.array_equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    readme = (out / "README.md").read_text()
    header = _header(readme)
    assert header["license"] == "mit" and header["library_name"] == "tdmm-lm"
    assert {"tdmm-lm", "facial-motion", "motion-tokenizer", "arkit61"} <= set(header["tags"])
    assert 'MotionTokenizer.from_pretrained("someone/vq-tiny")' in readme
    assert "2 residual level(s) x 32 codes" in readme
    assert "| `model.safetensors` |" in readme
    assert "No file in `eval/results/` names this checkpoint" in readme


def test_card_shows_only_the_results_that_name_the_source(tokenizer_dir, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    # "mine" measured this run; "other" another run; "input" only used this tokenizer
    for stem, named in (("mine", {"run": str(tokenizer_dir.parent)}),
                        ("other", {"run": "/elsewhere/vq_run2"}),
                        ("input", {"mdm": {"tokenizer": str(tokenizer_dir)}})):
        (results / f"{stem}.json").write_text(json.dumps(
            {"results": {**named, "relative": 0.25},
             "environment": {"commit": "abc1234", "date_utc": "2026-01-01 00:00:00",
                             "machine": {"cpu": "TestCPU"}}}))
        (results / f"{stem}.md").write_text(f"# {stem} table\n\n| relative |\n| --- |\n| 0.25 |\n"
                                            "\n## Environment\n- machine: TestCPU\n")
    report = publish(PublishConfig("tokenizer", tokenizer_dir, "someone/vq-tiny", dry_run=True,
                                   out=tmp_path / "repo", results_dir=results))
    readme = (report.folder / "README.md").read_text()
    assert "### mine table" in readme
    assert "other table" not in readme and "input table" not in readme
    assert "commit `abc1234`" in readme and "## Environment" not in readme
    assert sorted(p.name for p in (report.folder / "eval").iterdir()) == ["mine.json", "mine.md"]


def test_offline_publish_fails_in_one_line_before_building(cli, tokenizer_dir, tmp_path):
    out = tmp_path / "repo"
    rc, stdout, err = cli("publish", "tokenizer", tokenizer_dir, "--repo-id", "someone/vq",
                          "--out", out)
    assert rc == 2
    assert err == ("tdmm-lm: error: cannot publish to someone/vq: the Hugging Face Hub is offline "
                   "(HF_HUB_OFFLINE=1); unset it, or pass --dry-run to only build the folder\n")
    assert not out.exists()


def test_no_token_fails_in_one_line_and_uploads_nothing(cli, fake_hub, monkeypatch,
                                                        tokenizer_dir, tmp_path):
    import huggingface_hub
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    rc, stdout, err = cli("publish", "tokenizer", tokenizer_dir, "--repo-id", "someone/vq",
                          "--out", tmp_path / "repo")
    assert rc == 2
    assert err.startswith("tdmm-lm: error: cannot publish to someone/vq: no Hugging Face token")
    assert err.count("\n") == 1
    assert fake_hub == [] and not (tmp_path / "repo").exists()


def test_upload_happens_once_after_the_folder_is_verified(cli, fake_hub, tokenizer_dir, tmp_path):
    rc, stdout, err = cli("publish", "tokenizer", tokenizer_dir, "--repo-id", "someone/vq",
                          "--private", "--out", tmp_path / "repo")
    assert rc == 0, err
    assert [c[0] for c in fake_hub] == ["whoami", "create_repo", "upload_folder"]
    assert fake_hub[1][2] == {"repo_type": "model", "private": True, "exist_ok": True}
    _, repo, repo_type, files, ignore = fake_hub[2]
    # the folder was complete (card, weights, verification marker) when the upload started
    assert {"README.md", "model.safetensors", "config.json", MARKER} <= set(files)
    assert ignore == [MARKER] and repo_type == "model"
    assert "uploaded: https://huggingface.co/someone/vq" in stdout


def test_a_folder_that_fails_verification_is_neither_kept_nor_uploaded(
        cli, fake_hub, monkeypatch, tokenizer_dir, tmp_path):
    from tdmm_lm.vqvae.tokenizer import MotionTokenizer
    original = MotionTokenizer.save_pretrained

    def save_other_weights(self, folder, **kw):   # a save that loses the trained weights
        return original(make_tokenizer(seed=1, levels=2), folder, **kw)

    monkeypatch.setattr(MotionTokenizer, "save_pretrained", save_other_weights)
    rc, stdout, err = cli("publish", "tokenizer", tokenizer_dir, "--repo-id", "someone/vq",
                          "--out", tmp_path / "repo")
    assert rc == 2
    assert "the reloaded weights differ from the source" in err
    assert [c[0] for c in fake_hub] == ["whoami"]            # preflight only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vq_run"]   # no repo, no scratch


def test_rerun_replaces_its_own_folder_but_never_a_foreign_one(tokenizer_dir, tmp_path):
    out = tmp_path / "repo"
    cfg = dict(kind="tokenizer", source=tokenizer_dir, repo_id="someone/vq", dry_run=True, out=out)
    publish(PublishConfig(**cfg))
    (out / "stale.txt").write_text("from an earlier run")
    publish(PublishConfig(**cfg))
    assert not (out / "stale.txt").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    from tdmm_lm.errors import TdmmError
    with pytest.raises(TdmmError, match="was not written by `tdmm-lm publish`"):
        PublishConfig(**{**cfg, "out": foreign})
    with pytest.raises(TdmmError, match="must lie outside"):
        PublishConfig(**{**cfg, "out": tokenizer_dir / "hub"})
    with pytest.raises(TdmmError, match="--repo-id must look like owner/name"):
        PublishConfig(**{**cfg, "repo_id": "no-owner"})


def test_default_out_is_beside_the_source(tokenizer_dir):
    cfg = PublishConfig("tokenizer", tokenizer_dir, "someone/vq", dry_run=True)
    assert cfg.out == tokenizer_dir.parent / "best-hub"


def test_pickled_weights_are_refused(tmp_path):
    from tdmm_lm.errors import TdmmError
    from tdmm_lm.hub.pipeline import check_repo_files
    (tmp_path / "model.safetensors").write_bytes(b"")
    (tmp_path / "config.json").write_text(json.dumps({"tokenizer": {"path": str(tmp_path.parent)}}))
    with pytest.raises(TdmmError, match="field 'tokenizer.path' points at the local path"):
        check_repo_files(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    assert check_repo_files(tmp_path)
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(TdmmError, match="pytorch_model.bin: pickle-based weights"):
        check_repo_files(tmp_path)


def test_dataset_dry_run_round_trips_through_load_dataset(cli, tiny_dataset, tmp_path):
    out = tmp_path / "ds_repo"
    rc, stdout, err = cli("publish", "dataset", tiny_dataset, "--repo-id", "someone/facescript",
                          "--dry-run", "--out", out)
    assert rc == 0, err
    assert "load_dataset reads identical rows and features" in stdout
    shards = sorted(p.name for p in (out / "data").iterdir())
    assert shards == ["test-00000-of-00001.parquet", "train-00000-of-00001.parquet",
                      "validation-00000-of-00001.parquet"]
    readme = (out / "README.md").read_text()
    header = _header(readme)
    assert header["license"] == "mit"             # the dataset's own card says so
    assert header["configs"][0]["data_files"][0] == {"split": "train", "path": "data/train-*"}
    motion = next(f for f in header["dataset_info"]["features"] if f["name"] == "motion")
    assert motion["dtype"]["array2_d"]["shape"] == [None, 61]
    assert 'datasets.load_dataset("someone/facescript")' in readme
    import datasets
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    source = datasets.load_from_disk(str(tiny_dataset))
    assert {k: len(v) for k, v in loaded.items()} == {k: len(v) for k, v in source.items()}
    assert np.array_equal(np.asarray(loaded["train"][0]["motion"], np.float32),
                          np.asarray(source["train"][0]["motion"], np.float32))


def test_baseline_publish_reloads_the_generator(tmp_path, monkeypatch):
    """Any registered checkpoint kind: the folder is copied, reloaded with load_generator and
    must generate the same motion for the probe prompt."""
    from tdmm_lm.generators import register_generator, write_kind
    register_generator("test-constant", "tests.hub.test_publish:_constant_generator")
    src = tmp_path / "ckpt"
    src.mkdir()
    write_kind(src, "test-constant")
    (src / "config.json").write_text(json.dumps({"level": 0.25}))
    from safetensors.numpy import save_file
    save_file({"w": np.zeros(2, np.float32)}, str(src / "model.safetensors"))
    report = publish(PublishConfig("baseline", src, "someone/const", dry_run=True,
                                   out=tmp_path / "repo"))
    assert report.checks[-1] == "same motion for 'a person smiles and then blinks' (60 frames, seed 0)"
    assert sorted(report.files) == ["README.md", "config.json", "generator.json",
                                    "model.safetensors"]
    # a checkpoint whose copy would generate something else is caught
    (src / "config.json").write_text(json.dumps({"level": 0.5}))
    monkeypatch.setattr("tdmm_lm.hub.models.copy_file",
                        lambda a, b, root: open(b, "w").write('{"level": 0.75}') if str(a).endswith(
                            "config.json") else __import__("shutil").copyfile(a, b))
    from tdmm_lm.errors import TdmmError
    with pytest.raises(TdmmError, match="generates a different motion"):
        publish(PublishConfig("baseline", src, "someone/const", dry_run=True,
                              out=tmp_path / "repo"))


class _Constant:
    name = "test-constant"
    fps = 30.0

    def __init__(self, level: float) -> None:
        self.level = level

    def generate(self, texts, lengths=None, *, seed=0):
        from tdmm_lm.motion import ARKIT61, Motion
        return [Motion(np.full((n or 30, 61), self.level, np.float32), self.fps, "arkit61",
                       ARKIT61.channels) for n in (lengths or [None] * len(texts))]


def _constant_generator(checkpoint, context):
    from pathlib import Path
    return _Constant(json.loads((Path(checkpoint) / "config.json").read_text())["level"])


def test_llm_tokenizer_needs_a_chat_template_and_the_motion_tokens(tmp_path):
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    from tdmm_lm.errors import TdmmError
    from tdmm_lm.hub.models import check_llm_tokenizer

    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel({"a": 0, "<unk>": 1},
                                                                       unk_token="<unk>")))
    tok.add_tokens([f"<m{i}>" for i in range(8)])
    tok.save_pretrained(tmp_path / "tokenizer")
    with pytest.raises(TdmmError, match="has no chat template"):
        check_llm_tokenizer(tmp_path, 8)
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    tok.save_pretrained(tmp_path / "tokenizer")
    assert check_llm_tokenizer(tmp_path, 8) == [
        "text tokenizer with chat template and 8 added tokens (>= 8 motion tokens)"]
    with pytest.raises(TdmmError, match="8 added tokens, fewer than the 16 motion tokens"):
        check_llm_tokenizer(tmp_path, 16)


def test_publish_refuses_a_symlink_leaving_the_folder(cli, tokenizer_dir, tmp_path, fake_hub):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:secret\n")
    (tokenizer_dir / "config.yaml").unlink()
    (tokenizer_dir / "config.yaml").symlink_to(secret)
    out = tmp_path / "repo"
    for extra in (["--dry-run"], []):
        rc, stdout, err = cli("publish", "tokenizer", tokenizer_dir.parent, "--repo-id",
                              "someone/vq-tiny", "--out", out, *extra)
        assert rc == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert "config.yaml: a symlink to" in err and "outside" in err
        assert not out.exists() and not [c for c in fake_hub if c[0] == "upload_folder"]
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_publish_copies_links_inside_the_folder_as_plain_files(cli, tokenizer_dir, tmp_path,
                                                                 fake_hub):
    """A link that stays inside the folder is harmless: the repository gets a plain copy, and
    what was verified is exactly what is uploaded."""
    (tokenizer_dir / "real.yaml").write_text("model: {}\n")
    (tokenizer_dir / "config.yaml").unlink()
    (tokenizer_dir / "config.yaml").symlink_to("real.yaml")
    out = tmp_path / "repo"
    rc, stdout, err = cli("publish", "tokenizer", tokenizer_dir.parent, "--repo-id",
                          "someone/vq-tiny", "--out", out)
    assert rc == 0, err
    assert "verified: regular files only (no symlinks)" in stdout
    assert not any(p.is_symlink() for p in out.rglob("*"))
    assert (out / "config.yaml").read_text() == "model: {}\n"
    uploaded = [c for c in fake_hub if c[0] == "upload_folder"]
    assert uploaded and uploaded[0][3] == sorted(p.name for p in out.iterdir())


def test_publish_clears_the_scratch_folder_of_a_killed_run(cli, tokenizer_dir, tmp_path):
    out = tmp_path / "repo"
    stale = tmp_path / ".repo.partial-999999999-abcd"      # no such process: a killed publish
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half")
    rc, _, err = cli("publish", "tokenizer", tokenizer_dir.parent, "--repo-id", "someone/vq-tiny",
                     "--dry-run", "--out", out)
    assert rc == 0, err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "vq_run") == ["repo"]
