"""What the logo checker keeps in memory while it checks draft after draft, as a long-running process does.

    python bench/logos/memory.py DATA_DIR [--convention bench-7-0.toml] [--rounds 2] [--every 10]

One checker checks the drafts of one convention of a set made by `generate.py`, `--rounds` times over (the web
application keeps one checker for its life, and the same widths come back). Every `--every` drafts it prints the
bytes held by the convention's reference logos: their own planes, and the templates kept by width and pose; and the
process's peak resident memory. The caches must level off (they are bounded), and hold what the CPU needs.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def _bytes(value: Any, seen: set[int]) -> int:
    """The bytes of the NumPy arrays reachable from `value` (each counted once)."""
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sum(_bytes(v, seen) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_bytes(v, seen) for v in value)
    if hasattr(value, "__dict__"):
        return sum(_bytes(v, seen) for v in vars(value).values())
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument(
        "--convention", default=None, help="a convention file of the set (default: the first)"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--every", type=int, default=10)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    import cv2

    from comms_approval.adapters.convention_file import load_convention
    from comms_approval.services.logo_check import OpenCvLogoMatcher

    cv2.setNumThreads(1)
    documents = json.loads((args.data / "truth.json").read_text(encoding="utf-8"))["documents"]
    name = args.convention or documents[0]["convention"]
    drafts = [d["file"] for d in documents if d["convention"] == name]
    convention = load_convention(args.data / name)
    checker = OpenCvLogoMatcher()
    refs = checker.references(convention).refs
    planes = sum(_bytes([r.rgb, r.alpha, r.gray, r.lab], set()) for r in refs)
    print(f"{name}: {len(refs)} reference logos, their planes {planes / 1e6:.1f} MB; {len(drafts)} drafts")
    print("drafts checked | templates kept, MB | peak resident memory, MB")
    checked = 0
    for _ in range(args.rounds):
        for file in drafts:
            checker.check(args.data / file, convention)
            checked += 1
            if checked % args.every == 0:
                seen = {
                    id(a) for r in refs for a in (r.rgb, r.alpha, r.gray, r.lab)
                }  # the planes, not templates
                kept = _bytes(refs, seen)
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"{checked:14d} | {kept / 1e6:18.1f} | {peak:.0f}")


if __name__ == "__main__":
    main()
