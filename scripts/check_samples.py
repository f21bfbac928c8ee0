#!/usr/bin/env python3
"""Keeps the guide's code samples identical to code that the build compiles and the tests run.

In README.md and docs/*.md a fenced block preceded by a marker line

    <!-- sample: docs/samples/runtime_samples.cpp#shield -->

must equal the region of that file between `// [sample: shield]` and `// [end sample]`
(`#` comments for Meson and shell files), dedented; without `#name`, the whole file. Every
```cpp block must carry a marker, and every region must be used by some block, so neither
side can drift. `--write` copies the regions into the documents instead of checking.
"""
import pathlib
import re
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(?:<!-- sample: (?P<ref>[^ ]+) -->\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)```", re.S)
REGION = re.compile(r"^[ \t]*(?://|#) \[sample: (?P<name>[\w-]+)\]\n(?P<body>.*?)^[ \t]*(?://|#) \[end sample\]\n",
                    re.S | re.M)


def documents():
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def regions_of(path):
    return {m["name"]: textwrap.dedent(m["body"]) for m in REGION.finditer(path.read_text())}


def resolve(ref, used):
    """The text a marker points at, or raises ValueError saying what is wrong."""
    file, _, name = ref.partition("#")
    path = ROOT / file
    if not path.is_file():
        raise ValueError(f"no file {file}")
    if not name:
        return path.read_text()
    regions = regions_of(path)
    if name not in regions:
        raise ValueError(f"{file} has no region '{name}'")
    used.add((file, name))
    return regions[name]


def main():
    write = "--write" in sys.argv[1:]
    errors = []
    used = set()
    for doc in documents():
        text = doc.read_text()
        out, pos = [], 0
        for m in BLOCK.finditer(text):
            where = f"{doc.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
            ref, lang, body = m["ref"], m["lang"], m["body"]
            if ref is None:
                if lang == "cpp":
                    errors.append(f"{where}: C++ block without a '<!-- sample: FILE#REGION -->' marker")
                continue
            try:
                expected = resolve(ref, used)
            except ValueError as e:
                errors.append(f"{where}: {e}")
                continue
            if body != expected:
                if write:
                    out.append(text[pos:m.start("body")] + expected)
                    pos = m.end("body")
                else:
                    errors.append(f"{where}: block differs from {ref} (scripts/check_samples.py --write updates it)")
        if write and out:
            doc.write_text("".join(out) + text[pos:])
    for sample in sorted((ROOT / "docs" / "samples").glob("*")):
        for name in regions_of(sample):
            if (str(sample.relative_to(ROOT)), name) not in used:
                errors.append(f"{sample.relative_to(ROOT)}: region '{name}' appears in no document")
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
