#!/usr/bin/env python3
"""Developer aid: compare a lit test's CHECK lines with what the tool prints.

  check-diff.py TEST.cpp [tool args...]  (reads the tool's output on stdin)

Resolves [[@LINE+-N]] to absolute lines and prints expected/actual
diagnostics side by side, so a new test's CHECK lines can be reviewed
against real output before FileCheck runs. It never writes the test.
"""
import re
import sys

test, prefix = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "CHECK")
expected = []
for n, line in enumerate(open(test), 1):
    m = re.search(r"//\s*%s:\s*:\[\[@LINE([+-]\d+)?\]\]:(\S+?): (warning|note): (.*)" % re.escape(prefix), line)
    if m:
        off = int(m.group(1) or 0)
        expected.append((n + off, m.group(2), m.group(3), m.group(4)[:60]))
actual = []
for line in sys.stdin:
    m = re.match(r".*?:(\d+):(\d+): (warning|note): (.*)", line)
    if m:
        actual.append((int(m.group(1)), m.group(2), m.group(3), m.group(4)[:60]))
for i in range(max(len(expected), len(actual))):
    e = expected[i] if i < len(expected) else None
    a = actual[i] if i < len(actual) else None
    ok = e and a and e[0] == a[0] and e[2] == a[2] and (e[1] == a[1] or "{{" in e[1]) and a[3].startswith(e[3].split("{{")[0][:40])
    print("  " if ok else "XX", "exp", e, "\n   act", a)
