#!/usr/bin/env python3
"""Runs the complete examples of the docs and compares their output.

    docs-examples.py --repo DIR --bin DIR --work DIR FILE.md...

An example is a fenced output block preceded by a marker line:

    <!-- docs-example: threadleak -p build/examples --baseline=b.json -->
    ```text
    threadleak: 0 findings in 8 translation units (7 more in the baseline) in 2.29s
    ```

The marker's command runs with bash in the work directory, which holds a
copy of the repository's examples/ configured by CMake into
build/examples (as scripts/demo.sh does), with --bin first on PATH; the
work directory stands for the checkout's top level. The
examples of all files run in order, in the same directory, so one example
can use what an earlier one wrote (a baseline, shard reports).

What is compared: the command's stdout, then what it printed on stderr,
minus the progress lines ("[3/8] file", which depend on timing). Before
comparing, in both: timings ("in 2.29s") become "in <time>"; the work
directory's path becomes the marker's root=PATH, if given
("<!-- docs-example root=/home/me/threadleak: ... -->"). A line "..." in
the docs stands for any number of lines.

Prints one line per example, "ok <file>:<line>" or the difference, and exits
1 if any example differs.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

MARKER = re.compile(r"^<!-- docs-example(?: root=(\S+))?: (.*) -->$")
TIME = re.compile(r"\bin [0-9]+\.[0-9]+s\b")
PROGRESS = re.compile(r"^\[[0-9]+/[0-9]+\] ")


def examples(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        m = MARKER.match(line.strip())
        if not m:
            continue
        fence = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if not fence.startswith("```"):
            sys.exit("%s:%d: a docs-example marker must precede a fenced block" % (path, i + 1))
        indent = lines[i + 1][: len(lines[i + 1]) - len(lines[i + 1].lstrip())]
        body = []
        for j in range(i + 2, len(lines)):
            if lines[j].strip() == "```":
                break
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
        else:
            sys.exit("%s:%d: unterminated block" % (path, i + 2))
        yield i + 1, m.group(1), m.group(2), body


def normalize(lines, work, root):
    out = []
    for line in lines:
        if root:
            line = line.replace(work, root)
        out.append(TIME.sub("in <time>", line))
    return out


def matches(expected, actual):
    """Whether actual matches expected, where a "..." line skips lines."""
    pattern = "".join(r"(?:.*\n)*?" if line == "..." else re.escape(line) + r"\n"
                      for line in expected)
    return re.fullmatch(pattern, "".join(l + "\n" for l in actual)) is not None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    work = os.path.realpath(args.work)
    # The work directory is the project root, as a checkout's top level is
    # (threadleak looks for a .git above the current directory).
    os.makedirs(os.path.join(work, ".git"))
    shutil.copytree(os.path.join(args.repo, "examples"), os.path.join(work, "examples"))
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run(["cmake"] + gen + ["-S", "examples", "-B", "build/examples",
                    "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"],
                   cwd=work, check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ)
    env["PATH"] = os.path.realpath(args.bin) + os.pathsep + env.get("PATH", "")
    failed = 0
    count = 0
    for path in args.files:
        name = os.path.relpath(path, args.repo)
        for line, root, command, expected in examples(path):
            count += 1
            run = subprocess.run(["bash", "-c", command], cwd=work, env=env,
                                 capture_output=True, text=True)
            actual = run.stdout.splitlines() + [
                l for l in run.stderr.splitlines() if not PROGRESS.match(l)]
            want = normalize(expected, work, root)
            got = normalize(actual, work, root)
            if matches(want, got):
                print("ok %s:%d" % (name, line))
                continue
            failed += 1
            print("DIFFERS %s:%d: %s" % (name, line, command))
            print("--- the docs say")
            print("\n".join(want))
            print("--- the command printed (exit %d)" % run.returncode)
            print("\n".join(got))
    print("%d examples, %d differ" % (count, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
