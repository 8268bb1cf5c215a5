"""``tdmm-lm quickstart [--out DIR] [--preset FILE] [--rig RIG]``: the whole pipeline on the
embedded default (see ``tdmm_lm/quickstart.py``)."""

from __future__ import annotations

from tdmm_lm.cli.options import add_rig_arg


def register(sub) -> None:
    p = sub.add_parser("quickstart", help="corpus → tokenizer → LM + baselines → benchmark → "
                       "rendered examples, resumable")
    p.add_argument("--out", default="runs/quickstart", help="output folder (default runs/quickstart)")
    p.add_argument("--preset", default=None,
                   help="stage budgets (default configs/presets/tiny.yaml of this checkout)")
    add_rig_arg(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from tdmm_lm.quickstart import DEFAULT_PRESET, Preset, Quickstart, StageConfig

    preset = Preset.from_yaml(args.preset or StageConfig(DEFAULT_PRESET).path())
    report = Quickstart(args.out, preset, rig=args.rig).run()
    print(f"\nDone. Report: {report}")
    print(report.read_text().split("## Next", 1)[1].strip())
    return 0
