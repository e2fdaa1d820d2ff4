#!/usr/bin/env python3
"""Run the threadleak CLI and clang-tidy --load on every test input and
require identical diagnostics: same locations, levels, messages and checks,
in the same order.

  compare.py THREADLEAK CLANG_TIDY PLUGIN STUB_FLAGS FILE...
"""
import os
import re
import shlex
import subprocess
import sys

threadleak, clang_tidy, plugin, stub_flags = sys.argv[1:5]
files = sys.argv[5:]
diag = re.compile(r"^(.*?):(\d+):(\d+): (warning|error|note): (.*)$")


def diagnostics(cmd):
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout
    # Paths are compared normalised: the CLI prints them absolute without
    # "..", clang-tidy as it was given them.
    lines = []
    for line in out.splitlines():
        m = diag.match(line)
        if m:
            path = os.path.normpath(os.path.abspath(m.group(1)))
            lines.append("%s:%s:%s: %s: %s" % ((path,) + m.groups()[1:]))
    return lines


failures = 0
compared = 0
for f in files:
    flags = shlex.split(stub_flags) if "real-headers" not in f else ["-std=c++20"]
    checks = "--checks=-*,threadleak-*"
    cli = diagnostics([threadleak, "--quiet", checks, f, "--"] + flags)
    tidy = diagnostics([clang_tidy, "--load=" + plugin, "--quiet", checks, f, "--"] + flags)
    compared += 1
    if cli != tidy:
        failures += 1
        print("MISMATCH in %s" % f)
        for line in sorted(set(cli) - set(tidy)):
            print("  only CLI:        " + line)
        for line in sorted(set(tidy) - set(cli)):
            print("  only clang-tidy: " + line)
        if set(cli) == set(tidy):
            print("  (same diagnostics, different order)")
    else:
        print("same: %s (%d diagnostics)" % (f, len(cli)))
print("%d files compared, %d differ" % (compared, failures))
sys.exit(1 if failures else 0)
