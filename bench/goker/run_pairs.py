#!/usr/bin/env python3
"""Prove each GoKer pair: the buggy kernel hangs (or leaks), its fixed twin terminates.

Every kernel `X.cpp` in bench/goker/ has a fixed twin `X_fixed.cpp`; each has
its own main() that drives the kernel the way GoKer's test did, forcing the
bad schedule where the Go test relied on one (sleeps / yields), and returns
only when every thread, fiber or coroutine it started has finished.

For each pair this script compiles both files (one compile at a time) and runs:

  - the buggy version once, with a timeout: "hangs (timeout)" is the expected
    result (a leaked context keeps main() from returning);
  - the fixed twin --runs times (default 3): each run must "terminate" (exit 0)
    within the timeout.

It writes a Markdown table to results/pairs-<date>.md (or --out) and exits 1
when a twin does not terminate or a file does not compile.

    bench/goker/run_pairs.py                 # every pair
    bench/goker/run_pairs.py grpc_660 etcd_6857 --runs 5 --timeout 5
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def kernels(names):
    all_ = sorted(f[:-4] for f in os.listdir(HERE)
                  if f.endswith('.cpp') and not f.endswith('_fixed.cpp'))
    if names:
        missing = [n for n in names if n not in all_]
        if missing:
            sys.exit(f'no such kernel: {", ".join(missing)}')
        return names
    return all_


def header_field(path, field):
    """The value of `// Field: ...` in the file's header, with its indented continuation lines."""
    value = None
    with open(path) as f:
        for line in f:
            if not line.startswith('//'):
                break
            if value is not None:
                if re.match(r'//\s{3,}\S', line):
                    value += ' ' + line[2:].strip()
                    continue
                break
            m = re.match(rf'//\s*{field}:\s*(.*)', line)
            if m:
                value = m.group(1).strip()
    return value or ''


def style_of(path):
    s = header_field(path, 'Style')
    m = re.match(r'\(([a-e])\)', s)
    return m.group(1) if m else '?'


def compile_one(cxx, src, exe, style):
    cmd = [cxx, '-std=c++20', '-pthread', '-O0', f'-I{HERE}/include', src, '-o', exe]
    if style == 'b':
        cmd += ['-lboost_fiber', '-lboost_context']
    elif style == 'e':
        cmd += ['-ltbb']
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode == 0, time.perf_counter() - t0, p.stderr


def run_one(exe, timeout):
    t0 = time.perf_counter()
    try:
        p = subprocess.run([exe], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 'hangs (timeout)', time.perf_counter() - t0
    dt = time.perf_counter() - t0
    if p.returncode == 0:
        return 'terminates', dt
    return f'exit {p.returncode}', dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('kernels', nargs='*', help='kernel names (default: all)')
    ap.add_argument('--cxx', default=os.environ.get('CXX', 'clang++-22'))
    ap.add_argument('--timeout', type=float, default=5.0, help='seconds per run (default 5)')
    ap.add_argument('--runs', type=int, default=3, help='runs of each fixed twin (default 3)')
    ap.add_argument('--out', help='report path (default results/pairs-<date>.md)')
    ap.add_argument('--build-dir', help='where binaries go (default: a temporary directory)')
    args = ap.parse_args()

    date = datetime.date.today().isoformat()
    out = args.out or os.path.join(HERE, 'results', f'pairs-{date}.md')
    build = args.build_dir or tempfile.mkdtemp(prefix='goker-pairs-')
    os.makedirs(build, exist_ok=True)

    rows, bad = [], 0
    names = kernels(args.kernels)
    for k in names:
        src, twin = os.path.join(HERE, k + '.cpp'), os.path.join(HERE, k + '_fixed.cpp')
        style = style_of(src)
        bclass = header_field(src, 'Bug class')
        row = {'kernel': k, 'style': style, 'class': bclass}
        if not os.path.exists(twin):
            row.update(buggy='-', twin='no fixed twin', ok=False)
            rows.append(row)
            bad += 1
            continue
        ok_b, tb, err_b = compile_one(args.cxx, src, os.path.join(build, k), style)
        ok_t, tt, err_t = compile_one(args.cxx, twin, os.path.join(build, k + '_fixed'), style)
        if not (ok_b and ok_t):
            row.update(buggy='compile error' if not ok_b else '', twin='compile error' if not ok_t else '', ok=False)
            sys.stderr.write(f'{k}: compile error\n{err_b}{err_t}\n')
            rows.append(row)
            bad += 1
            continue
        buggy, db = run_one(os.path.join(build, k), args.timeout)
        twin_results = [run_one(os.path.join(build, k + '_fixed'), args.timeout) for _ in range(args.runs)]
        terminated = sum(1 for r, _ in twin_results if r == 'terminates')
        worst = max(d for _, d in twin_results)
        ok = terminated == args.runs
        bad += not ok
        row.update(buggy=buggy, twin=f'terminates {terminated}/{args.runs} (max {worst:.2f}s)', ok=ok,
                   hang=buggy == 'hangs (timeout)')
        rows.append(row)
        print(f'{k:42} {style}  buggy: {buggy:16} twin: {row["twin"]}', flush=True)

    n = len(rows)
    twins_ok = sum(1 for r in rows if r.get('ok'))
    hangs = sum(1 for r in rows if r.get('hang'))
    by_style = {s: sum(1 for r in rows if r['style'] == s) for s in 'abcde'}
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w') as f:
        f.write(f'# GoKer pairs: buggy hangs, fixed twin terminates ({date})\n\n')
        f.write(f'`bench/goker/run_pairs.py --timeout {args.timeout:g} --runs {args.runs}`, '
                f'compiler `{args.cxx}`, `-std=c++20 -pthread -O0`.\n\n')
        f.write(f'- pairs: {n} (' + ', '.join(f'style {s}: {by_style[s]}' for s in 'abcde' if by_style[s]) + ')\n')
        f.write(f'- fixed twins that terminate on every run: **{twins_ok}/{n}**\n')
        f.write(f'- buggy versions that hang (timeout): **{hangs}/{n}**\n\n')
        f.write('Style: (a) Boost.Asio channels + coroutines, (b) Boost.Fiber, (c) include/gochan.h, (d) the standard library only (a hand-written channel per file), (e) oneTBB concurrent_bounded_queue.\n\n')
        f.write('| kernel | style | bug class | buggy | fixed twin |\n| --- | --- | --- | --- | --- |\n')
        for r in rows:
            f.write(f'| {r["kernel"]} | {r["style"]} | {r["class"]} | {r["buggy"]} | {r["twin"]} |\n')
    print(f'\n{twins_ok}/{n} twins terminate, {hangs}/{n} buggy versions hang; report: {out}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
