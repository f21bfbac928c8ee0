#!/usr/bin/env python3
"""Fails when README.md's first C++ block differs from examples/quick_example.cpp, which the
build compiles: the sample cannot rot."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
readme = (root / "README.md").read_text()
block = re.search(r"```cpp\n(.*?)```", readme, re.S)
example = (root / "examples" / "quick_example.cpp").read_text()
if not block or block.group(1) != example:
    print("README.md's quick example differs from examples/quick_example.cpp", file=sys.stderr)
    sys.exit(1)
