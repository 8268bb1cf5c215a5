"""``tdmm-lm publish tokenizer|llm|baseline|dataset DIR --repo-id ID [--private] [--dry-run]``.

Builds the exact Hub repository folder (``--out``), reloads it to prove it is complete, then
uploads it in one commit unless ``--dry-run``. See ``tdmm_lm.hub``.
"""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("publish", help="build, verify and upload a model or dataset repo to the Hub")
    p.add_argument("kind", choices=("tokenizer", "llm", "baseline", "dataset"),
                   help="what DIR holds")
    p.add_argument("source", metavar="DIR", help="tokenizer / LM run / baseline checkpoint / "
                   "DatasetDict folder")
    p.add_argument("--repo-id", required=True, help="the Hub repo, owner/name")
    p.add_argument("--private", action="store_true", help="create the repo private")
    p.add_argument("--dry-run", action="store_true",
                   help="build and verify the folder, upload nothing (no token needed)")
    p.add_argument("--out", default=None, help="the repository folder (default: DIR-hub)")
    p.add_argument("--license", default=None,
                   help="SPDX license id for the card (default: a dataset's own, else mit)")
    p.add_argument("--dataset-id", action="append", default=[], metavar="ID",
                   help="Hub id of the training data, for the card (repeatable)")
    p.add_argument("--results", action="append", default=None, metavar="JSON",
                   help="eval/results/*.json to show on the card (repeatable; default: those "
                        "that name DIR)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from tdmm_lm.hub import PublishConfig, publish

    report = publish(PublishConfig(
        kind=args.kind, source=args.source, repo_id=args.repo_id, out=args.out,
        private=args.private, dry_run=args.dry_run, license=args.license,
        datasets=tuple(args.dataset_id), results=None if args.results is None else tuple(args.results)))
    print(f"wrote {report.folder} ({len(report.files)} files)")
    for check in report.checks:
        print(f"  verified: {check}")
    print(f"uploaded: {report.url}" if report.url else
          "dry run: nothing uploaded (drop --dry-run to upload this folder)")
    return 0
