"""The dataset stager: parquet shards + the dataset card, verified with ``load_dataset``."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tdmm_lm.errors import TdmmError
from tdmm_lm.hub.config import PublishConfig, Staged
from tdmm_lm.hub.files import copy_file
from tdmm_lm.hub.results import evaluation_section, selected_results

MAX_SHARD_BYTES = 500_000_000   # the Hub's dataset viewer prefers parquet files under ~500 MB


def stage_dataset(config: PublishConfig, folder: Path) -> Staged:
    """Parquet shards ``data/{split}-0000i-of-0000n.parquet`` (the layout ``push_to_hub``
    writes) and the dataset's card with ``configs`` + ``dataset_info`` so ``load_dataset``
    restores the Array2D motion feature."""
    from tdmm_lm.data.schema import load_dataset_dict

    dd = load_dataset_dict(str(config.source))
    files: dict[str, list[str]] = {}
    for split, ds in dd.items():
        n = max(1, -(-ds.data.nbytes // MAX_SHARD_BYTES))
        files[split] = [f"data/{split}-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
        for i, name in enumerate(files[split]):
            ds.shard(n, i, contiguous=True).to_parquet(str(folder / name))
    if (config.source / "skipped.jsonl").is_file():
        copy_file(config.source / "skipped.jsonl", folder / "skipped.jsonl", config.source)

    def verify(path: Path) -> list[str]:
        import datasets
        with tempfile.TemporaryDirectory() as cache:
            loaded = datasets.load_dataset(str(path), cache_dir=cache)
            for split, ds in dd.items():
                if split not in loaded or loaded[split].features != ds.features or not \
                        loaded[split].data.table.equals(ds.data.table):
                    raise TdmmError(f"{path}: load_dataset gives a different {split!r} split "
                                    "than the source")
            counts = ", ".join(f"{s} {len(loaded[s])}" for s in dd)
        return [f"load_dataset reads identical rows and features ({counts})"]

    def readme(rows: list[tuple[str, str]]) -> str:
        return dataset_card(config, dd, files)

    return Staged(readme, verify)


def dataset_card(config: PublishConfig, dd, files: dict[str, list[str]]) -> str:
    """The source's ``README.md`` (or a fresh ``render_card``) with the Hub's ``configs`` and
    ``dataset_info`` in its header and the repo id in its load snippet."""
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    existing = config.source / "README.md"
    card = DatasetCard(existing.read_text(encoding="utf-8") if existing.is_file()
                       else _fresh_dataset_card(config, dd))
    DatasetInfosDict({"default": next(iter(dd.values())).info}).to_dataset_card_data(card.data)
    MetadataConfigs({"default": {"data_files": [
        {"split": s, "path": f"data/{s}-*"} for s in files]}}).to_dataset_card_data(card.data)
    card.data.license = config.license or card.data.license or "other"
    text = card.text.replace('datasets.load_from_disk("PATH")   # or datasets.load_dataset("REPO_ID")',
                             f'datasets.load_dataset("{config.repo_id}")').rstrip()
    if selected_results(config):
        text += f"\n\n## Results\n\n{evaluation_section(config)}"
    return f"---\n{card.data.to_yaml()}\n---\n{text}\n"


def _fresh_dataset_card(config: PublishConfig, dd) -> str:
    from tdmm_lm.data.card import CardInfo, render_card
    from tdmm_lm.motion.formats import channels_for

    first = next(iter(dd.values()))
    fmt = first[0]["format"]
    return render_card(dd, CardInfo(
        name=config.repo_id.split("/")[-1], source="Saved with tdmm-lm; no card was written "
        "when it was built.", license=config.license or "other", split_method="as saved",
        read=sum(len(d) for d in dd.values()), skipped=0, format=fmt,
        channels=channels_for(fmt, first.features["motion"].shape[1])))
