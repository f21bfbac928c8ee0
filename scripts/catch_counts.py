#!/usr/bin/env python3
"""Reads a Catch2 v2 XML report: prints "<passed> <failed>" test cases, or with --failures the
failed cases and their failed expressions. A missing or truncated report counts one failure."""
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    args = sys.argv[1:]
    failures = "--failures" in args
    path = [a for a in args if a != "--failures"][0]
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        print("report missing or truncated: " + path if failures else "0 1")
        return 0
    if failures:
        for case in root.iter("TestCase"):
            result = case.find("OverallResult")
            if result is not None and result.get("success") == "false":
                print("FAILED: " + case.get("name", "?"))
                for expr in case.iter("Expression"):
                    if expr.get("success") == "false":
                        original = (expr.findtext("Original") or "").strip()
                        expanded = (expr.findtext("Expanded") or "").strip()
                        print(f"  {expr.get('filename')}:{expr.get('line')}: {original}  ->  {expanded}")
        return 0
    totals = root.find("OverallResultsCases")
    if totals is None:
        print("0 1")
        return 0
    print(f"{totals.get('successes', '0')} {totals.get('failures', '0')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
