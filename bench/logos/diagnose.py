"""Diagnostics for tuning the logo checker: keep each draft's evidence once, then re-judge it in seconds.

    python bench/logos/diagnose.py dump DATA_DIR OUT.pkl [--start 0 --step 1] [--kind KIND] [--src SRC]
    python bench/logos/diagnose.py rejudge DATA_DIR OUT.pkl... [-t name=value ...]
    python bench/logos/diagnose.py compare DATA_DIR BEFORE.pkl[,...] AFTER.pkl[,...]
    python bench/logos/diagnose.py misses DATA_DIR OUT.pkl...

`dump` runs the checker and keeps, per draft, the requirements and every piece of evidence the policy decided
from (with the statuses and the CPU time per page); `--start/--step` split a set between processes, `--kind` keeps
the drafts of one kind (`pdf-embedded`: a rule on PDF image objects changes nothing else), `--src` runs
another checkout's code (a `git worktree` of the code before a change). `rejudge` runs the policy again on that
evidence with other thresholds: a screen, not a verdict, because the detector stops searching at the first
conclusive candidate and reads names only where the policy would accept, so a rule must then be run for real.
`compare` prints both runs' figures and every status that changed, draft by draft. `misses` lists the logos ≥ 6 %
not found, with the measurements of the best candidates at their place and the reason the policy gave.
Pickles are local scratch files of this tool: load only your own.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

Dump = dict[str, tuple[list[Any], list[Any], dict[str, str], float]]


def _truth(data: Path) -> dict[str, dict[str, Any]]:
    return {d["file"]: d for d in json.loads((data / "truth.json").read_text(encoding="utf-8"))["documents"]}


def _load(paths: list[str]) -> Dump:
    dump: Dump = {}
    for path in paths:
        with Path(path).open("rb") as f:
            dump.update(pickle.load(f))  # this tool's own scratch files
    return dump


def dump(data: Path, out: Path, *, start: int, step: int, kind: str | None = None) -> None:
    import cv2

    from comms_approval.adapters.convention_file import load_convention
    from comms_approval.domain.logos import decide_document as decide
    from comms_approval.services import logo_check

    cv2.setNumThreads(1)
    captured: dict[str, Any] = {}

    def keeping(requirements: Any, evidence: Any, thresholds: Any) -> Any:
        captured["requirements"], captured["evidence"] = list(requirements), list(evidence)
        return decide(requirements, evidence, thresholds)

    logo_check.decide_document = keeping  # type: ignore[attr-defined,assignment]  # the last call decides
    try:
        checker = logo_check.OpenCvLogoMatcher()
        conventions: dict[str, Any] = {}
        kept: Dump = {}
        docs = [d for d in _truth(data).values() if kind is None or d["kind"] == kind]
        for doc in docs[start::step]:
            conv = conventions.get(doc["convention"])
            if conv is None:
                conv = conventions[doc["convention"]] = load_convention(data / doc["convention"])
            cpu = time.process_time()
            report = checker.check(data / doc["file"], conv)
            ms = (time.process_time() - cpu) * 1000.0 / report.pages
            statuses = {party: report.result_for(party).status.value for party in doc["parties"]}
            kept[doc["file"]] = (captured["requirements"], captured["evidence"], statuses, ms)
    finally:
        logo_check.decide_document = decide  # type: ignore[attr-defined]
    with out.open("wb") as f:
        pickle.dump(kept, f)
    print(f"{len(kept)} drafts -> {out}")


def _figures(
    truth: dict[str, dict[str, Any]], statuses: dict[str, dict[str, str]]
) -> tuple[int, int, int, int]:
    found = present = false_present = absent = 0
    for file, got in statuses.items():
        for party, gt in truth[file]["parties"].items():
            if gt["ambiguous"]:
                continue
            if gt["expected"] == "present" and gt["width_frac"] >= 0.06:
                present += 1
                found += got[party] == "present"
            elif gt["expected"] != "present":
                absent += 1
                false_present += got[party] == "present"
    return found, present, false_present, absent


def _changes(
    truth: dict[str, dict[str, Any]], before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
) -> list[str]:
    """Every status that differs, one printed line each."""
    lines = [
        f"  {file} {party} expected {gt['expected']} shown {gt['shown']} width {gt['width_frac']}"
        f"{' (ambiguous)' if gt['ambiguous'] else ''}: {before[file][party]} -> {after[file][party]}"
        for file in sorted(set(before) & set(after))
        for party, gt in truth[file]["parties"].items()
        if before[file][party] != after[file][party]
    ]
    for line in lines:
        print(line)
    return lines


def rejudge(data: Path, paths: list[str], overrides: list[str]) -> list[str]:
    """The policy run again on dumped evidence with `overrides` (NAME=VALUE) of its thresholds: the changes."""
    from comms_approval.domain import logos

    values = {name: float(value) for name, value in (o.split("=", 1) for o in overrides)}
    thresholds = dataclasses.replace(logos.DEFAULT_THRESHOLDS, **values)  # type: ignore[arg-type]
    truth, kept = _truth(data), _load(paths)
    before = {file: statuses for file, (_, _, statuses, _) in kept.items()}
    after = {
        file: {r.party: r.status.value for r in logos.decide_document(req, evidence, thresholds)}
        for file, (req, evidence, _, _) in kept.items()
    }
    found, present, false_present, absent = _figures(truth, after)
    print(f"re-judged: recall >= 6 % {found}/{present}, false present {false_present}/{absent}")
    return _changes(truth, before, after)


def compare(data: Path, before_paths: str, after_paths: str) -> None:
    truth = _truth(data)
    runs = {
        name: _load(paths.split(",")) for name, paths in (("before", before_paths), ("after", after_paths))
    }
    for name, kept in runs.items():
        found, present, false_present, absent = _figures(truth, {f: v[2] for f, v in kept.items()})
        ms = statistics.median(v[3] for v in kept.values())
        print(
            f"{name}: recall >= 6 % {found}/{present}, false present {false_present}/{absent}, {ms:.0f} ms/page"
        )
    _changes(truth, {f: v[2] for f, v in runs["before"].items()}, {f: v[2] for f, v in runs["after"].items()})


def misses(data: Path, paths: list[str]) -> None:
    from comms_approval.domain import logos

    truth, kept = _truth(data), _load(paths)
    for file, (_, evidence, statuses, _) in sorted(kept.items()):
        doc = truth[file]
        for party, gt in doc["parties"].items():
            if gt["ambiguous"] or gt["expected"] != "present" or gt["width_frac"] < 0.06:
                continue
            if statuses[party] == "present":
                continue
            print(
                f"{file} {party} width {gt['width_frac']:.3f} {doc['background']} {doc['kind']} "
                f"q={doc['jpeg_quality']} gray={doc['grayscale']} rotated={doc['rotated']} -> {statuses[party]}"
            )
            there = [
                e
                for e in evidence
                if e.party == party
                and e.version.value == "current"
                and logos._overlap(e.box, gt["box"]) > 0.5
            ]
            for e in sorted(there, key=lambda e: -e.score)[:2]:
                reason = logos._judge(e, logos.DEFAULT_THRESHOLDS).reason
                fields = {
                    k: round(v, 2)
                    for k, v in dataclasses.asdict(e).items()
                    if isinstance(v, float) and k not in ("width_mm",)
                }
                print(f"    {fields} busy={e.busy_background} read={e.wordmark_read} -> {reason}")
            if not there:
                print("    no candidate at its place")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("dump")
    p.add_argument("data", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--step", type=int, default=1)
    p.add_argument("--kind", choices=["jpeg", "png", "pdf-embedded", "pdf-vector", "pdf-flat"])
    p.add_argument("--src", type=Path, default=ROOT / "src")
    p = sub.add_parser("rejudge")
    p.add_argument("data", type=Path)
    p.add_argument("dumps", nargs="+")
    p.add_argument("-t", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    p = sub.add_parser("compare")
    p.add_argument("data", type=Path)
    p.add_argument("before")
    p.add_argument("after")
    p = sub.add_parser("misses")
    p.add_argument("data", type=Path)
    p.add_argument("dumps", nargs="+")
    args = parser.parse_args()
    sys.path.insert(0, str(getattr(args, "src", ROOT / "src")))
    if args.command == "dump":
        dump(args.data, args.out, start=args.start, step=args.step, kind=args.kind)
    elif args.command == "rejudge":
        rejudge(args.data, args.dumps, args.overrides)
    elif args.command == "compare":
        compare(args.data, args.before, args.after)
    else:
        misses(args.data, args.dumps)


if __name__ == "__main__":
    main()
