"""Top hotspots of a py-spy speedscope profile, as text.

.venv/bin/python bench/hotspots.py bench/results/profile.speedscope.json
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

TOP = 15
PACKAGES = (
    "app",
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "pydantic_core",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlite3",
    "json",
    "asyncio",
    "anyio",
    "logging",
    "concurrent",
    "threading",
)


def frame_label(frame: dict[str, Any]) -> str:
    return (
        f"{frame['name']} ({_short_path(frame.get('file', ''))}:{frame.get('line', 0)})"
    )


def _short_path(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def area(frame: dict[str, Any]) -> str:
    """Which package a frame belongs to, for the coarse breakdown."""
    path = frame.get("file", "")
    parts = Path(_short_path(path)).parts
    for part in parts:
        name = part.removesuffix(".py")
        if name in PACKAGES:
            return name
    return parts[0].removesuffix(".py") if parts else "?"


def tally(profile_path: Path) -> tuple[Counter[int], Counter[int], Counter[str], int]:
    document = json.loads(profile_path.read_text())
    frames = document["shared"]["frames"]
    own: Counter[int] = Counter()
    total: Counter[int] = Counter()
    areas: Counter[str] = Counter()
    samples = 0
    for profile in document["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            if not stack:
                continue
            samples += weight
            own[stack[-1]] += weight
            areas[area(frames[stack[-1]])] += weight
            for index in set(stack):
                total[index] += weight
    return own, total, areas, samples


def summarize(profile_path: Path, top: int = TOP) -> str:
    frames = json.loads(profile_path.read_text())["shared"]["frames"]
    own, total, areas, samples = tally(profile_path)
    if not samples:
        return "no samples"
    lines = [f"{samples} samples", "", "self time by package:"]
    lines += [f"  {100 * w / samples:5.1f}%  {name}" for name, w in areas.most_common()]
    lines += ["", f"top {top} functions by self time:"]
    lines += _ranked(own, frames, samples, top)
    lines += ["", f"top {top} functions by total time (self + callees):"]
    lines += _ranked(total, frames, samples, top)
    return "\n".join(lines)


def _ranked(
    counts: Counter[int], frames: list[dict[str, Any]], samples: int, top: int
) -> list[str]:
    return [
        f"  {100 * w / samples:5.1f}%  {frame_label(frames[i])}"
        for i, w in counts.most_common(top)
    ]


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1])))
