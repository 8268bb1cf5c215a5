"""Model cards: the template every published model shares (tokenizer, LM, baselines), its header
(``ModelCardData``) and the training paragraph.

Rendered by ``huggingface_hub.ModelCard.from_template`` (Jinja); ``card_data`` becomes the YAML
header the Hub reads (license, tags, ``base_model``, ``datasets``, ``library_name``). Dataset
cards are the ``README.md`` that ``tdmm_lm.data.card.render_card`` wrote beside the dataset.
Kept as a Python string so it ships in the wheel without package-data rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tdmm_lm.hub.config import PublishConfig
from tdmm_lm.hub.files import copy_file

MODEL_CARD = """---
{{ card_data }}
---

# {{ title }}

{{ summary }}

Made with tdmm-lm: language models that read and write 3D facial motion (ARKit-61 blendshapes /
FLAME).

## Use

```bash
pip install tdmm-lm
{{ cli }}
```

```python
{{ python }}
```

## Files

| file | size |
| --- | --- |
{% for name, size in files -%}
| `{{ name }}` | {{ size }} |
{% endfor %}
## Training

{{ training }}

## Evaluation

{{ evaluation }}

## Limitations

{{ limitations }}
"""


@dataclass
class ModelCardText:
    """The prose of one model card; the YAML header comes from ``ModelCardData``."""

    title: str
    summary: str
    cli: str                         # shell lines after ``pip install tdmm-lm``
    python: str                      # a runnable snippet that loads the repo by its id
    training: str = "Not recorded."
    evaluation: str = ""
    limitations: str = ("Trained on the data named above only; motion outside its range "
                        "(other rigs, capture noise, long takes) is out of distribution.")
    files: list[tuple[str, str]] = field(default_factory=list)   # (path in repo, human size)


def render_model_card(card_data, text: ModelCardText) -> str:
    """``card_data`` (a ``huggingface_hub.ModelCardData``) + ``text`` → the ``README.md`` text."""
    from huggingface_hub import ModelCard

    card = ModelCard.from_template(card_data, template_str=MODEL_CARD, **vars(text))
    return str(card)


def card_data(config: PublishConfig, tags: list[str], base_model: str | None = None):
    """The YAML header: license, library, tags, ``base_model`` and training datasets."""
    from huggingface_hub import ModelCardData

    return ModelCardData(license=config.license or "mit", library_name="tdmm-lm",
                         tags=["tdmm-lm", "facial-motion", *tags], base_model=base_model,
                         datasets=list(config.datasets) or None)


def training_text(source: Path, config_names: tuple[str, ...]) -> str:
    """Which of ``config_names`` (copied beside the weights) hold the resolved training config."""
    found = [n for n in config_names if (source / n).is_file()]
    text = (f"The resolved training configuration is in {', '.join(f'`{n}`' for n in found)}."
            if found else "The training configuration was not saved beside this checkpoint.")
    if (source / "metrics.json").is_file():
        text += " Validation metrics of the saved step are in `metrics.json`."
    return text


def copy_configs(source: Path, folder: Path, names: tuple[str, ...]) -> None:
    """Copy the files ``names`` that exist in ``source`` unless the model already wrote them."""
    for name in names:
        if (source / name).is_file() and not (folder / name).exists():
            copy_file(source / name, folder / name, source)
