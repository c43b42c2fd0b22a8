#!/usr/bin/env python3
"""Summarises a py-spy raw profile (`record -f raw`: one collapsed stack and its count a line).

    .venv/bin/python bench/profile_top.py profile.txt [--top 25] [--match engine/]

Prints the functions with the most samples on the stack (inclusive) and on top (self), as a share of
all samples, so two profiles (before / after) can be compared line by line.
"""

import argparse
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only frames whose text contains this")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    self_: Counter[str] = Counter()
    total = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if f]
        for frame in set(frames):
            inclusive[frame] += n
        if frames:
            self_[frames[-1]] += n
    print(f"{total} samples")
    for title, counter in (("inclusive", inclusive), ("self", self_)):
        print(f"\n{title}:")
        shown = 0
        for frame, n in counter.most_common():
            if args.match in frame:
                print(f"  {100 * n / total:5.1f}%  {frame}")
                shown += 1
                if shown == args.top:
                    break


if __name__ == "__main__":
    main()
