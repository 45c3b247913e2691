"""Top hotspots of a py-spy speedscope profile, as text.

    .venv/bin/python bench/hotspots.py bench/results/profile.speedscope.json

py-spy leaves idle samples out unless asked, so the shares below are of the
time the process was running Python (or C called from it).
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOP = 15
STDLIB = re.compile(r".*/python3\.\d+/")
SITE = re.compile(r".*/site-packages/")


@dataclass
class Tally:
    """Sample weights (seconds) per frame, per package, and per caller pair."""

    frames: list[dict[str, Any]]
    own: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    total: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    areas: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    callers: defaultdict[tuple[str, str], float] = field(
        default_factory=lambda: defaultdict(float)
    )
    seconds: float = 0.0
    samples: int = 0
    threads: list[str] = field(default_factory=list)

    def add(self, stack: list[int], weight: float) -> None:
        """One sample: its stack of frame indexes, outermost first."""
        self.seconds += weight
        self.samples += 1
        functions = [function(self.frames[index]) for index in stack]
        self.own[functions[-1]] += weight
        self.areas[area(self.frames[stack[-1]])] += weight
        for name in set(functions):
            self.total[name] += weight
        if len(functions) > 1:
            self.callers[(functions[-1], functions[-2])] += weight


def short_path(path: str) -> str:
    """site-packages/x/y.py -> x/y.py; the standard library -> stdlib/y.py."""
    if SITE.match(path):
        return SITE.sub("", path)
    if STDLIB.match(path):
        return "stdlib/" + STDLIB.sub("", path)
    for marker in ("/app/", "/bench/"):
        if marker in path:
            return marker[1:] + path.split(marker, 1)[1]
    return path


def area(frame: dict[str, Any]) -> str:
    """The package a frame belongs to, for the coarse breakdown."""
    path = short_path(frame.get("file", ""))
    parts = path.split("/")
    if parts[0] == "stdlib" and len(parts) > 1:
        return "stdlib " + parts[1].removesuffix(".py")
    return parts[0].removesuffix(".py")


def function(frame: dict[str, Any]) -> str:
    """A function, whatever line of it was running: `name (path)`."""
    return f"{frame['name']} ({short_path(frame.get('file', ''))})"


def tally(profile_path: Path) -> Tally:
    document = json.loads(profile_path.read_text())
    result = Tally(document["shared"]["frames"])
    for profile in document["profiles"]:
        result.threads.append(profile.get("name", "?"))
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            if stack:
                result.add(stack, weight)
    return result


def summarize(profile_path: Path, top: int = TOP) -> str:
    data = tally(profile_path)
    if not data.samples:
        return "no samples"
    lines = [
        f"{data.samples} samples, {data.seconds:.1f} s busy, "
        f"threads: {', '.join(data.threads)}",
        "",
        "self time by package:",
    ]
    lines += [_share(w, data, name) for name, w in top_items(data.areas, top)]
    lines += ["", f"top {top} functions by self time (← most frequent caller):"]
    lines += [_with_caller(name, w, data) for name, w in top_items(data.own, top)]
    lines += ["", f"top {top} emulator functions (app/) by total time:"]
    own_code = [(n, w) for n, w in top_items(data.total) if "(app/" in n]
    lines += [_share(w, data, name) for name, w in own_code[:top]]
    return "\n".join(lines)


def top_items(weights: dict[str, float], count: int | None = None) -> list[Any]:
    """(key, weight) pairs, heaviest first."""
    ranked = sorted(weights.items(), key=lambda pair: pair[1], reverse=True)
    return ranked if count is None else ranked[:count]


def _share(weight: float, data: Tally, text: str) -> str:
    return f"  {100 * weight / data.seconds:5.1f}%  {text}"


def _with_caller(name: str, weight: float, data: Tally) -> str:
    calls = [(c, w) for (leaf, c), w in data.callers.items() if leaf == name]
    text = name
    if calls:
        text += f"  ← {max(calls, key=lambda pair: pair[1])[0]}"
    return _share(weight, data, text)


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1])))
