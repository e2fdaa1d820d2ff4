#!/usr/bin/env python3
"""Score threadleak on the GoKer corpus: recall on the buggy kernels, findings on the fixed twins.

For every kernel X (X.cpp buggy, X_fixed.cpp its fixed twin) it runs

    threadleak --no-cache --format=json --quiet FILE -- -std=c++20 -pthread -Iinclude

from bench/goker/ (so bench/goker/.threadleak.yaml is the model file), and
reports per kernel:

  - found:   any finding in the buggy file;
  - at LEAK: a finding on a line marked `// LEAK` in the buggy file (the
             operation that blocks forever);
  - twin:    the number of findings on the fixed twin (each is a false positive);
  - checks:  the check names that fired;
  - GCatch:  GCatch's published result for the kernel, from gcatch.json when
             present (see README.md: no per-kernel data was found, so the
             column says "n/a").

Totals: recall (found / kernels), recall at the marked line, twins with
findings, total twin findings; the same split by project and by style.
A file that fails to analyse (exit 2 or 3) is counted as not found / no
finding and listed.

    bench/goker/score.py                       # writes results/score-<date>.md
    bench/goker/score.py --threadleak build/bin/threadleak grpc_660
"""
import argparse
import collections
import datetime
import json
import os
import re
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# The kernels' directory: this one, or another corpus in the same layout
# (--corpus; its files still see this directory's include/).
CORPUS = HERE
DEFAULT_TL = '/work/main/build/bin/threadleak'


def kernels(names):
    all_ = sorted(f[:-4] for f in os.listdir(CORPUS)
                  if f.endswith('.cpp') and not f.endswith('_fixed.cpp'))
    return names or all_


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


def leak_lines(path):
    with open(path) as f:
        return {i for i, line in enumerate(f, 1) if re.search(r'//\s*LEAK\b', line)}


def analyse(tl, path, timeout):
    cmd = [tl, '--no-cache', '--format=json', '--quiet', '-j', '1', os.path.basename(path),
           '--', '-std=c++20', '-pthread', f'-I{HERE}/include']
    try:
        p = subprocess.run(cmd, cwd=CORPUS, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, 'timeout'
    if p.returncode not in (0, 1):
        return None, f'exit {p.returncode}: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""}'
    try:
        return json.loads(p.stdout or '[]'), ''
    except json.JSONDecodeError as e:
        return None, f'bad json: {e}'


def project_of(k):
    return k.split('_')[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('kernels', nargs='*')
    ap.add_argument('--threadleak', default=os.environ.get('THREADLEAK', DEFAULT_TL))
    ap.add_argument('--timeout', type=float, default=300)
    ap.add_argument('--out', help='report path (default results/score-<date>.md)')
    ap.add_argument('--json-out', help='also write the per-kernel data as JSON')
    ap.add_argument('--corpus', help='score the kernels of this directory instead (same layout: '
                    'X.cpp, X_fixed.cpp, `// LEAK` marks; bench/goker/include on the include path)')
    args = ap.parse_args()
    global CORPUS
    if args.corpus:
        CORPUS = os.path.abspath(args.corpus)

    gcatch = {}
    gpath = os.path.join(CORPUS, 'gcatch.json')
    if os.path.exists(gpath):
        with open(gpath) as f:
            gcatch = json.load(f)

    # Analyse with a snapshot of the binary: the build it comes from may be
    # rebuilt (and the file replaced) while the corpus is being scored.
    for _ in range(60):
        if os.access(args.threadleak, os.X_OK):
            break
        time.sleep(5)
    snap_dir = tempfile.mkdtemp(prefix='goker-score-')
    snap = os.path.join(snap_dir, 'threadleak')
    shutil.copy2(args.threadleak, snap)
    with open(snap, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    version = subprocess.run([snap, '--version'], capture_output=True, text=True).stdout.strip()
    version = f'{version}, sha256 {digest}'
    date = datetime.date.today().isoformat()
    out = args.out or os.path.join(HERE, 'results', f'score-{date}.md')

    rows, errors = [], []
    for k in kernels(args.kernels):
        src, twin = os.path.join(CORPUS, k + '.cpp'), os.path.join(CORPUS, k + '_fixed.cpp')
        marked = leak_lines(src)
        fb, eb = analyse(snap, src, args.timeout)
        ft, et = analyse(snap, twin, args.timeout) if os.path.exists(twin) else ([], 'no twin')
        if eb:
            errors.append(f'{k}.cpp: {eb}')
        if et:
            errors.append(f'{k}_fixed.cpp: {et}')
        fb, ft = fb or [], ft or []
        mine = [x for x in fb if os.path.basename(x.get('file', '')) == k + '.cpp']
        row = {
            'kernel': k,
            'project': project_of(k),
            'style': (re.match(r'\(([a-e])\)', header_field(src, 'Style')) or [None, '?'])[1],
            'class': header_field(src, 'Bug class'),
            'found': bool(fb),
            'at_leak': any(x['line'] in marked for x in mine),
            'buggy_findings': [(x['check'].replace('threadleak-', ''), x['line']) for x in fb],
            'twin_findings': [(x['check'].replace('threadleak-', ''), x['line']) for x in ft],
            'error': '; '.join(e for e in (eb, et) if e and e != 'no twin'),
            'gcatch': gcatch.get(k, 'n/a'),
        }
        rows.append(row)
        print(f'{k:42} found={int(row["found"])} at_leak={int(row["at_leak"])} twin={len(row["twin_findings"])} '
              f'{" ".join(sorted({c for c, _ in row["buggy_findings"]}))} {row["error"]}', flush=True)

    def totals(rs):
        n = len(rs)
        return n, sum(r['found'] for r in rs), sum(r['at_leak'] for r in rs), \
            sum(1 for r in rs if r['twin_findings']), sum(len(r['twin_findings']) for r in rs)

    def pct(a, n):
        return f'{a}/{n} ({a / n:.2f})' if n else '0/0'

    n, found, at, twins, twin_total = totals(rows)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w') as f:
        name = 'the GoKer corpus' if CORPUS == HERE else f'`{os.path.relpath(CORPUS, os.path.dirname(HERE))}`'
        f.write(f'# threadleak on {name} ({date})\n\n')
        f.write(f'`bench/goker/score.py`, a snapshot of `{args.threadleak}` ({version}), '
                'each file analysed alone with `--no-cache -- -std=c++20 -pthread -I<bench/goker>/include`, '
                f'from `{os.path.relpath(CORPUS, os.path.dirname(HERE))}` (its `.threadleak.yaml`, if any, '
                'is the model file).\n\n')
        f.write(f'- kernels: {n}\n')
        f.write(f'- **recall** (any finding in the buggy file): **{pct(found, n)}**\n')
        f.write(f'- recall at the `// LEAK` line: {pct(at, n)}\n')
        f.write(f'- **fixed twins with findings: {twins}/{n}** ({twin_total} findings)\n')
        f.write(f'- files that failed to analyse: {len(errors)}\n\n')
        if CORPUS == HERE:
          f.write('GCatch column: GCatch\'s published per-kernel result. No per-kernel GCatch data was found in '
                  'the corpora available (GoBench\'s README and configuration list the kernels, not tool results); '
                  'the only figure at hand is the aggregate quoted in issue 12, "GCatch 30/78" over GoKer\'s '
                  'blocking kernels, whose per-kernel split is unknown. Fill `gcatch.json` '
                  '(`{"grpc_660": "found", ...}`) to show it.\n\n')
        f.write('## By project and by style\n\n| group | kernels | recall | at LEAK line | twins with findings |\n'
                '| --- | ---: | ---: | ---: | ---: |\n')
        groups = collections.OrderedDict()
        for r in rows:
            groups.setdefault(f'project {r["project"]}', []).append(r)
        for r in rows:
            groups.setdefault(f'style ({r["style"]})', []).append(r)
        for g, rs in groups.items():
            gn, gf, ga, gt, _ = totals(rs)
            f.write(f'| {g} | {gn} | {pct(gf, gn)} | {pct(ga, gn)} | {gt} |\n')
        f.write('\n## Per kernel\n\n| kernel | style | bug class | found | at LEAK | checks (buggy) | twin findings | GCatch |\n'
                '| --- | --- | --- | --- | --- | --- | --- | --- |\n')
        for r in rows:
            checks = ', '.join(f'{c}:{l}' for c, l in r['buggy_findings']) or '-'
            tw = ', '.join(f'{c}:{l}' for c, l in r['twin_findings']) or '0'
            f.write(f'| {r["kernel"]} | {r["style"]} | {r["class"]} | {"yes" if r["found"] else "no"} | '
                    f'{"yes" if r["at_leak"] else "no"} | {checks} | {tw} | {r["gcatch"]} |\n')
        if errors:
            f.write('\n## Analysis failures\n\n' + ''.join(f'- {e}\n' for e in errors))
    if args.json_out:
        with open(args.json_out, 'w') as f:
            json.dump(rows, f, indent=1)
    print(f'\nrecall {pct(found, n)}, at LEAK line {pct(at, n)}, twins with findings {twins}/{n}; report: {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
