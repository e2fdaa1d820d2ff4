#!/usr/bin/env python3
"""Regenerate the CHECK lines of a lit test from the tool's output, in the
spirit of LLVM's update_cc_test_checks.py.

  threadleak --quiet ... TEST.cpp -- FLAGS | update-checks.py TEST.cpp [PREFIX]

Every existing `// PREFIX:` line is removed; each warning then gets its CHECK
line and its notes' CHECK lines right after the source line it points at,
with [[@LINE-N]] offsets. Review the diff: the output is only as right as the
tool, and a test that merely records current behaviour proves nothing.
"""
import re
import sys

test = sys.argv[1]
prefix = sys.argv[2] if len(sys.argv) > 2 else "CHECK"
src = open(test).read().split("\n")
check_re = re.compile(r"^\s*//\s*%s:" % re.escape(prefix))

groups = []  # [(line, col, kind, msg), ...] per warning
for line in sys.stdin:
    m = re.match(r"(.*?):(\d+):(\d+): (warning|note): (.*?)( \[[\w-]+\])?$", line.rstrip("\n"))
    if not m or not m.group(1).endswith(test.split("/")[-1]):
        continue
    item = (int(m.group(2)), int(m.group(3)), m.group(4), m.group(5) + (m.group(6) or ""))
    if item[2] == "warning":
        groups.append([item])
    elif groups:
        groups[-1].append(item)

# Map original line numbers to positions after removing old CHECK lines.
kept, orig_to_new = [], {}
for n, text in enumerate(src, 1):
    if check_re.match(text):
        continue
    orig_to_new[n] = len(kept) + 1
    kept.append(text)

inserts = {}  # new line number -> [(group)]
for g in groups:
    inserts.setdefault(orig_to_new[g[0][0]], []).append(g)

# Final position of each kept line once the CHECK lines are inserted.
final, pos = {}, 0
for n in range(1, len(kept) + 1):
    pos += 1
    final[n] = pos
    pos += sum(len(g) for g in inserts.get(n, []))

out = []
for n, text in enumerate(kept, 1):
    out.append(text)
    for g in inserts.get(n, []):
        indent = re.match(r"\s*", text).group(0)
        for (line, col, kind, msg) in g:
            off = final[orig_to_new[line]] - (len(out) + 1)
            at = "[[@LINE%+d]]" % off if off else "[[@LINE]]"
            msg = msg.replace("{{", "{{[{][{]}}").replace("[[", "{{[[][[]}}")
            out.append("%s// %s: :%s:%d: %s: %s" % (indent, prefix, at, col, kind, msg))
open(test, "w").write("\n".join(out))
