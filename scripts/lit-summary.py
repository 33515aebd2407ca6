#!/usr/bin/env python3
"""Sums lit JSON result files into one closing line: 'lit: N passed, M failed'.

Exits non-zero when a test failed or when no test ran at all, so that an
empty suite can never look green.
"""
import json
import sys

PASSED = {"PASS", "XFAIL", "FLAKYPASS"}
SKIPPED = {"UNSUPPORTED", "SKIPPED", "EXCLUDED"}


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            with open(path) as handle:
                tests = json.load(handle)["tests"]
        except (OSError, ValueError, KeyError) as error:
            print(f"  lit wrote no results to {path}: {error}")
            failed += 1
            continue
        for test in tests:
            code = test["code"]
            if code in PASSED:
                passed += 1
            elif code in SKIPPED:
                skipped += 1
            else:
                failed += 1
                print(f"  {code}: {test['name']}")
    line = f"lit: {passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
