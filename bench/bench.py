#!/usr/bin/env python3
"""threadleak benchmark: cost of the analysis on real code bases.

Fetches Debian source packages, configures them with CMake (configure only,
for compile_commands.json) and measures, side by side over the same
translation units, wall time, CPU time and peak RSS of

  a  clang++-22 -fsyntax-only, once per TU with the TU's own flags
  b  threadleak -j1 -p <db> <files>
  c  threadleak -jN -p <db> <files>            (N = cores)
  d  clang-tidy-22 --load=<plugin> --checks='-*,threadleak-*', once per TU
  e  clang-tidy-22 with a stand-in for "no checks", once per TU

in alternating rounds (a b c d e, a b c d e, ...), then writes a markdown
report to bench/results/<hostname>-<date>.md (and the raw numbers as .json).

Standard library only. See bench/README.md.
"""

import argparse
import concurrent.futures
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)

# ---------------------------------------------------------------------------
# The projects.  `version` pins the bookworm source package; `dir` is what
# dpkg-source extracts to; `cmake` are the configure options (tests, tools and
# benchmarks off: only the library's own TUs are measured).  `stride` is the
# default subset rule (every stride-th file of the deduplicated database,
# sorted by path, starting with the first), `quick_stride` the one of --quick.
# ---------------------------------------------------------------------------
PROJECTS = {
    "leveldb": dict(
        src="leveldb", version="1.23-4", dir="leveldb-1.23",
        cmake=["-DLEVELDB_BUILD_TESTS=OFF", "-DLEVELDB_BUILD_BENCHMARKS=OFF"],
        stride=1, quick_stride=8),
    "zeromq3": dict(
        src="zeromq3", version="4.3.4-6", dir="zeromq3-4.3.4",
        cmake=["-DBUILD_TESTS=OFF"],
        stride=1, quick_stride=24),
    "rocksdb": dict(
        src="rocksdb", version="7.8.3-2", dir="rocksdb-7.8.3",
        cmake=["-DWITH_GFLAGS=OFF", "-DWITH_TESTS=OFF", "-DWITH_BENCHMARK_TOOLS=OFF",
               "-DWITH_TOOLS=OFF", "-DFAIL_ON_WARNINGS=OFF"],
        stride=20, quick_stride=80),
    "libtorrent-rasterbar": dict(
        src="libtorrent-rasterbar", version="2.0.8-1", dir="libtorrent-rasterbar-2.0.8",
        cmake=["-Dbuild_tests=OFF", "-Dpython-bindings=OFF", "-Dencryption=OFF"],
        stride=12, quick_stride=40),
}
PROJECT_ORDER = ["leveldb", "zeromq3", "rocksdb", "libtorrent-rasterbar"]

# What configuring needs, as (how to tell it is there, Debian package).
NEEDS = [
    ("cmd:cmake", "cmake"),
    ("cmd:ninja", "ninja-build"),
    ("cmd:dpkg-source", "dpkg-dev"),
    ("file:/usr/include/boost/version.hpp", "libboost-dev"),          # libtorrent
    ("file:/usr/include/boost/system/error_code.hpp", "libboost-system-dev"),
    ("file:/usr/include/openssl/ssl.h", "libssl-dev"),                 # libtorrent
    ("file:/usr/bin/time", "time"),
]

# "clang-tidy with no checks": clang-tidy 22 refuses --checks='-*' ("Error:
# no checks enabled."); with --allow-no-checks it prints "No checks enabled."
# and exits *without parsing the file*; clang-diagnostic-* globs do not count
# as checks.  So the stand-in is one real check that is enabled but never
# instantiated for C or C++: objc-avoid-nserror-init is an Objective-C check
# (isLanguageVersionSupported() is LangOpts.ObjC), so on these code bases
# clang-tidy runs its whole per-TU pipeline (database, configuration,
# diagnostics filtering, parsing) with zero active checks: no AST matcher, no
# preprocessor callback, not even the MatchFinder traversal.  A check that is
# merely silent is not free: portability-restrict-system-includes (a
# preprocessor callback only) makes clang-tidy traverse the whole AST with an
# empty MatchFinder and costs ~1% on Boost-heavy TUs.  `--survey-standin`
# re-measures the candidates.
DEFAULT_STANDIN = "objc-avoid-nserror-init"
STANDIN_CANDIDATES = [
    ("-*", ["--allow-no-checks"]),
    ("-*,clang-diagnostic-*", []),
    ("-*,objc-avoid-nserror-init", []),
    ("-*,portability-restrict-system-includes", []),
    ("-*,llvm-header-guard", []),
    ("-*,google-build-namespaces", []),
    ("-*,threadleak-*", ["@plugin"]),
]

CONFIGS = ["a", "b", "c", "d", "e", "f"]


def log(msg):
    print(msg, flush=True)


def die(msg):
    print("bench: error: " + msg, file=sys.stderr, flush=True)
    sys.exit(2)


def run(cmd, **kw):
    log("+ " + " ".join(shlex.quote(c) for c in cmd))
    return subprocess.run(cmd, **kw)


def find_tool(env, *candidates):
    if os.environ.get(env):
        return os.environ[env]
    for c in candidates:
        p = shutil.which(c) if not os.path.isabs(c) else (c if os.path.exists(c) else None)
        if p:
            return p
    return candidates[0]


# ---------------------------------------------------------------------------
# Fetching and configuring
# ---------------------------------------------------------------------------

def have_deb_src():
    files = glob.glob("/etc/apt/sources.list") + glob.glob("/etc/apt/sources.list.d/*.list")
    for f in files:
        try:
            for line in open(f, encoding="utf-8", errors="replace"):
                if line.strip().startswith("deb-src"):
                    return True
        except OSError:
            pass
    for f in glob.glob("/etc/apt/sources.list.d/*.sources"):
        try:
            text = open(f, encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        if re.search(r"^Types:.*\bdeb-src\b", text, re.M):
            return True
    return False


def apt_get(args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = run(["apt-get"] + args, env=env)
    if r.returncode != 0:
        die("apt-get %s failed (are you root?)" % " ".join(args))


def ensure_prerequisites():
    missing = []
    for probe, pkg in NEEDS:
        kind, what = probe.split(":", 1)
        ok = shutil.which(what) if kind == "cmd" else os.path.exists(what)
        if not ok:
            missing.append(pkg)
    if not have_deb_src():
        path = "/etc/apt/sources.list.d/threadleak-bench-src.list"
        log("no deb-src line configured; writing " + path)
        with open(path, "w") as f:
            f.write("deb-src http://deb.debian.org/debian bookworm main\n")
        apt_get(["update"])
    elif subprocess.run(["apt-cache", "showsrc", "leveldb"], capture_output=True,
                        text=True).stdout.strip() == "":
        apt_get(["update"])
    if missing:
        log("installing what configuring needs: " + " ".join(missing))
        apt_get(["install", "-y", "--no-install-recommends"] + missing)


def fetch_and_configure(name, work):
    p = PROJECTS[name]
    pdir = os.path.join(work, name)
    os.makedirs(pdir, exist_ok=True)
    srcdir = os.path.join(pdir, p["dir"])
    marker = os.path.join(srcdir, ".bench-extracted")
    if not os.path.exists(marker):
        dsc = "%s_%s.dsc" % (p["src"], p["version"].split(":")[-1])
        if not os.path.exists(os.path.join(pdir, dsc)):
            r = run(["apt-get", "source", "--download-only", "%s=%s" % (p["src"], p["version"])],
                    cwd=pdir)
            if r.returncode != 0:
                log("warning: %s %s is not available; taking the current bookworm version"
                    % (p["src"], p["version"]))
                r = run(["apt-get", "source", "--download-only", p["src"]], cwd=pdir)
                if r.returncode != 0:
                    die("cannot download the source package " + p["src"])
                found = sorted(glob.glob(os.path.join(pdir, p["src"] + "_*.dsc")))
                if not found:
                    die("no .dsc for " + p["src"])
                dsc = os.path.basename(found[-1])
        if os.path.exists(srcdir):
            shutil.rmtree(srcdir)
        r = run(["dpkg-source", "-x", "--skip-patches", dsc, p["dir"]], cwd=pdir,
                stdout=subprocess.DEVNULL)
        if r.returncode != 0 or not os.path.isdir(srcdir):
            die("dpkg-source -x failed for " + dsc)
        open(marker, "w").write(dsc + "\n")

    build = os.path.join(pdir, "build")
    args = ["cmake", "-S", srcdir, "-B", build, "-G", "Ninja",
            "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"] + p["cmake"]
    stamp = os.path.join(build, ".bench-configured")
    if not (os.path.exists(stamp) and open(stamp).read() == " ".join(args)
            and os.path.exists(os.path.join(build, "compile_commands.json"))):
        with open(os.path.join(pdir, "configure.log"), "w") as logf:
            r = run(args, stdout=logf, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            die("configuring %s failed; see %s" % (name, os.path.join(pdir, "configure.log")))
        open(stamp, "w").write(" ".join(args))
    return srcdir, build


def entry_args(e):
    if "arguments" in e:
        return list(e["arguments"])
    return shlex.split(e["command"])


def make_db(name, work, build, stride):
    """Deduplicate the database (first command per file), write it to
    work/<name>/db/, and return (all entries, the selected subset)."""
    raw = json.load(open(os.path.join(build, "compile_commands.json")))
    seen = set()
    entries = []
    for e in raw:
        f = os.path.normpath(os.path.join(e["directory"], e["file"]))
        if f in seen:
            continue
        seen.add(f)
        e = dict(e, file=f)
        entries.append(e)
    dbdir = os.path.join(work, name, "db")
    os.makedirs(dbdir, exist_ok=True)
    tmp = os.path.join(dbdir, "compile_commands.json.tmp")
    with open(tmp, "w") as f:
        json.dump(entries, f, indent=1)
    os.replace(tmp, os.path.join(dbdir, "compile_commands.json"))
    ordered = sorted(entries, key=lambda e: e["file"])
    subset = [e for i, e in enumerate(ordered) if i % stride == 0]
    return dbdir, len(raw), entries, subset


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------

class Tools:
    def __init__(self, a, work):
        self.threadleak = a.threadleak
        self.plugin = a.plugin
        self.clang_tidy = a.clang_tidy
        self.clangxx = a.clangxx
        self.clang = a.clang
        self.time = "/usr/bin/time"
        self.jobs = a.jobs
        self.standin = a.standin
        # --threadleak-arg: passed to every threadleak run (e.g. --cross-tu).
        self.tl_args = list(a.threadleak_arg)
        self.digests = {}
        if not a.no_snapshot:
            # The build tree may be rebuilt while the benchmark runs (it takes
            # a while): measure one fixed copy of the CLI and the plugin.  The
            # CLI finds clang's resource directory by a compiled-in path, so
            # the copy behaves like the original.
            snap = os.path.join(work, "tools")
            os.makedirs(snap, exist_ok=True)
            for attr in ("threadleak", "plugin"):
                src = getattr(self, attr)
                dst = os.path.join(snap, os.path.basename(src))
                shutil.copy2(src, dst + ".tmp")
                os.replace(dst + ".tmp", dst)
                setattr(self, attr, dst)
        for attr in ("threadleak", "plugin"):
            h = hashlib.sha256(open(getattr(self, attr), "rb").read()).hexdigest()[:12]
            self.digests[attr] = h
        help_text = subprocess.run([self.threadleak, "--help-hidden"], capture_output=True,
                                   text=True).stdout
        # Measure cold analyses: if the CLI has a findings cache, bypass it
        # in (b) and (c); (f) then measures a warm run from a private cache.
        self.has_cache = "--no-cache" in help_text and "--cache-dir" in help_text
        self.tl_extra = ["--no-cache"] if self.has_cache else []


def syntax_only_cmd(tools, e):
    """clang -fsyntax-only with the TU's own flags: the compiler is swapped
    for clang++-22 (clang-22 where the database used a C compiler) and what
    only matters for producing output is dropped."""
    args = entry_args(e)
    driver = os.path.basename(args[0])
    is_c = re.search(r"(^|[-/])(cc|gcc|clang)(-[0-9.]+)?$", driver) is not None
    out = [tools.clang if is_c else tools.clangxx, "-fsyntax-only"]
    skip = False
    for x in args[1:]:
        if skip:
            skip = False
            continue
        if x in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if x in ("-c", "-MD", "-MMD", "-M", "-MM") or (x.startswith("-o") and len(x) > 2) \
                or x.startswith(("-MF", "-MT", "-MQ")):
            continue
        out.append(x)
    return out


def timed(tools, cmd, cwd, logf):
    """Runs cmd under GNU time.  Returns (wall s, user+sys s, peak RSS KiB,
    exit status).  Wall is taken here (perf_counter, around the whole
    process); CPU and RSS come from GNU time, i.e. from wait4()'s rusage of
    the child: ru_maxrss is the larger of the process's own peak and that of
    every descendant it reaped, so for threadleak it covers the parent and
    all forked workers (verified: see README)."""
    fd, tf = tempfile.mkstemp(prefix="bench-time-")
    os.close(fd)
    try:
        argv = [tools.time, "-f", "%U %S %M", "-o", tf] + cmd
        t0 = time.perf_counter()
        rc = subprocess.call(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=logf,
                             stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        lines = [l for l in open(tf).read().splitlines() if l.strip()]
    finally:
        os.unlink(tf)
    m = re.match(r"^([0-9.]+) ([0-9.]+) ([0-9]+)$", lines[-1]) if lines else None
    if not m:
        raise RuntimeError("cannot parse GNU time output for %s: %r" % (cmd[:2], lines))
    return wall, float(m.group(1)) + float(m.group(2)), int(m.group(3)), rc


def tu_command(tools, cfg, dbdir, e):
    if cfg == "a":
        return syntax_only_cmd(tools, e)
    if cfg == "d":
        return [tools.clang_tidy, "--load=" + tools.plugin, "--checks=-*,threadleak-*",
                "--quiet", "-p", dbdir, e["file"]]
    return [tools.clang_tidy, "--checks=-*," + tools.standin, "--quiet", "-p", dbdir, e["file"]]


def threadleak_command(tools, cfg, dbdir, files, cache):
    j = 1 if cfg == "b" else tools.jobs
    extra = ["--cache-dir", cache] if cfg == "f" else tools.tl_extra
    return [tools.threadleak, "-j%d" % j, "-p", dbdir] + extra + tools.tl_args + files


def measure(tools, cfg, dbdir, subset, logf, cache):
    files = [e["file"] for e in subset]
    tl_ok = (0, 1)          # threadleak: 0 clean, 1 findings; 2/3 are failures
    if cfg in ("b", "c", "f"):
        cmd = threadleak_command(tools, cfg, dbdir, files, cache)
        logf.write("\n### %s\n" % " ".join(cmd[:6]))
        logf.flush()
        wall, cpu, rss, rc = timed(tools, cmd, dbdir, logf)
        return dict(wall=wall, cpu=cpu, rss=rss, failures=0 if rc in tl_ok else 1, rc=rc)
    wall = cpu = 0.0
    rss = 0
    failures = 0
    per_tu = []
    for e in subset:
        cmd = tu_command(tools, cfg, dbdir, e)
        logf.write("\n### %s: %s\n" % (cfg, e["file"]))
        logf.flush()
        w, c, r, rc = timed(tools, cmd, e["directory"], logf)
        wall += w
        cpu += c
        rss = max(rss, r)
        failures += rc != 0
        per_tu.append([round(w, 4), round(c, 3), r, rc])
    return dict(wall=wall, cpu=cpu, rss=rss, failures=failures, per_tu=per_tu)


def tree_pids(root):
    pids = [root]
    i = 0
    while i < len(pids):
        try:
            kids = open("/proc/%d/task/%d/children" % (pids[i], pids[i])).read().split()
        except OSError:
            kids = []
        pids += [int(k) for k in kids]
        i += 1
    return pids


def sampled_anon_peak(cmd, cwd, logf):
    """Peak anonymous (private heap) memory of a process tree, sampled from
    /proc every ~2 ms: the max over the processes of RssAnon.  Unlike ru_maxrss
    it ignores file-backed pages (the code of libLLVM/libclang-cpp and mmapped
    sources), which a forked worker does not map until it touches them, so it
    compares the tools' real working memory.  Untimed: sampling costs CPU."""
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=logf,
                         stdin=subprocess.DEVNULL)
    peak = 0
    while p.poll() is None:
        for pid in tree_pids(p.pid):
            try:
                for line in open("/proc/%d/status" % pid):
                    if line.startswith("RssAnon:"):
                        peak = max(peak, int(line.split()[1]))
                        break
            except OSError:
                pass
        time.sleep(0.002)
    return peak


def anon_pass(tools, configs, dbdir, subset, rounds, k, logf):
    """Measures sampled peak anonymous memory on the k TUs whose
    fsyntax-only peak RSS was largest in the first round."""
    if "a" not in configs or not rounds or k <= 0:
        return None
    per_tu = rounds[0]["a"]["per_tu"]
    order = sorted(range(len(subset)), key=lambda i: -per_tu[i][2])[:k]
    chosen = [subset[i] for i in sorted(order)]
    out = dict(files=[e["file"] for e in chosen])
    for cfg in ("a", "b", "d", "e"):
        if cfg not in configs:
            continue
        if cfg == "b":
            cmd = threadleak_command(tools, "b", dbdir, [e["file"] for e in chosen], None)
            out[cfg] = sampled_anon_peak(cmd, dbdir, logf)
        else:
            out[cfg] = max(sampled_anon_peak(tu_command(tools, cfg, dbdir, e), e["directory"], logf)
                           for e in chosen)
    return out


def callgrind_ir(cmd, cwd, prefix):
    """Instructions executed (callgrind's Ir) by the heaviest process of the
    tree that cmd starts: for clang and clang-tidy the one process; for
    threadleak -j1 on one TU, its worker, whose count includes everything the
    parent did before forking it (start-up, reading the database), i.e. the
    analogue of one compiler process.  Deterministic, unlike times."""
    for old in glob.glob(prefix + ".*"):
        os.unlink(old)
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s.%%p" % prefix] + cmd
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL)
    best = None
    for f in glob.glob(prefix + ".*"):
        total = None
        with open(f, errors="replace") as fh:
            for line in fh:
                if line.startswith(("totals:", "summary:")):
                    total = int(line.split()[1])
        if total is not None and (best is None or total > best):
            best = total
        os.unlink(f)
    return best


def callgrind_pass(tools, configs, dbdir, subset, rounds, k, outdir):
    """Instruction counts of (a), (b), (d), (e) on k TUs picked at evenly
    spaced quantiles of the fsyntax-only CPU time of round 1 (k=1: the
    median TU).  Runs --jobs valgrinds at a time: counts do not depend on
    the load."""
    if k <= 0 or not rounds or "a" not in rounds[0] or not shutil.which("valgrind"):
        return None
    per_tu = rounds[0]["a"]["per_tu"]
    order = sorted(range(len(subset)), key=lambda i: per_tu[i][1])
    picks = sorted({order[min(len(order) - 1, int((j + 0.5) * len(order) / k))]
                    for j in range(k)})
    os.makedirs(outdir, exist_ok=True)
    jobs = []
    for i in picks:
        e = subset[i]
        for cfg in ("a", "b", "d", "e"):
            if cfg not in configs:
                continue
            if cfg == "b":
                cmd, cwd = threadleak_command(tools, "b", dbdir, [e["file"]], None), dbdir
            else:
                cmd, cwd = tu_command(tools, cfg, dbdir, e), e["directory"]
            jobs.append((i, cfg, cmd, cwd, os.path.join(outdir, "%d-%s" % (i, cfg))))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, tools.jobs)) as ex:
        counts = list(ex.map(lambda j: callgrind_ir(j[2], j[3], j[4]), jobs))
    out = dict(files=[subset[i]["file"] for i in picks])
    for (i, cfg, _, _, _), n in zip(jobs, counts):
        if n is None:
            return None
        out[cfg] = out.get(cfg, 0) + n
    return out


def correctness_pass(tools, dbdir, subset, pdir, cache):
    """Untimed warm-up (fills the page cache for every config alike) that also
    records threadleak's findings and failed TUs on the subset, and fills the
    private findings cache that (f) reads."""
    out = os.path.join(pdir, "findings.json")
    if tools.has_cache:
        shutil.rmtree(cache, ignore_errors=True)
        extra = ["--cache-dir", cache]
    else:
        extra = []
    cmd = [tools.threadleak, "-j%d" % tools.jobs, "-p", dbdir, "--format=json", "-o", out] \
        + extra + tools.tl_args + [e["file"] for e in subset]
    r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    findings = None
    try:
        findings = len(json.load(open(out)))
    except (OSError, ValueError):
        pass
    summary = (r.stderr.strip().splitlines() or [""])[-1]
    return dict(rc=r.returncode, findings=findings, summary=summary)


# ---------------------------------------------------------------------------
# Statistics and report
# ---------------------------------------------------------------------------

LABELS = {
    "a": "clang++-22 -fsyntax-only (per TU, summed)",
    "b": "threadleak -j1",
    "c": "threadleak -j{N}",
    "d": "clang-tidy-22 + plugin, threadleak-* (per TU)",
    "e": "clang-tidy-22, no-checks stand-in (per TU)",
    "f": "threadleak -j{N}, warm findings cache",
}

TARGETS = [
    # key, label, numerator, denominator, metric, comparison, limit
    ("j1_vs_syntax", "threadleak -j1 / fsyntax-only, wall", "b", "a", "wall", "<=", 1.05),
    ("plugin_vs_tidy", "plugin / clang-tidy no checks, wall", "d", "e", "wall", "<=", 1.03),
    ("rss", "peak RSS threadleak -j1 / fsyntax-only", "b", "a", "rss", "<=", 1.10),
    ("speedup", "speedup -j{N} vs -j1, wall", "b", "c", "wall", ">=", 1.9),
    ("warm", "warm cache / cold, wall (-j{N})", "f", "c", "wall", "<=", 0.05),
]
INFO = [
    ("j1_vs_syntax_cpu", "threadleak -j1 / fsyntax-only, CPU (user+sys)", "b", "a", "cpu"),
    ("plugin_vs_tidy_cpu", "plugin / no-checks stand-in, CPU (user+sys)", "d", "e", "cpu"),
    ("rss_jn", "peak RSS threadleak -j{N} / fsyntax-only", "c", "a", "rss"),
    ("rss_plugin", "peak RSS plugin / no-checks stand-in", "d", "e", "rss"),
    ("tidy_vs_syntax", "clang-tidy no-checks stand-in / fsyntax-only, wall", "e", "a", "wall"),
    ("plugin_vs_j1", "clang-tidy + plugin / threadleak -j1, wall", "d", "b", "wall"),
]
ANON = [
    ("anon_j1", "peak anonymous memory threadleak -j1 / fsyntax-only (sampled)", "b", "a"),
    ("anon_plugin", "peak anonymous memory plugin / no-checks stand-in (sampled)", "d", "e"),
]


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def ratio_stats(rounds, num, den, metric):
    """Ratio of the medians, ratio of the minimums (interference from other
    processes only ever adds time, so the minimum is the least disturbed
    sample), and the range of the per-round ratios (each round's numbers
    were taken back to back, so they share the load)."""
    pairs = [(r[num][metric], r[den][metric]) for r in rounds if num in r and den in r]
    if not pairs or not all(d for _, d in pairs):
        return None
    n = [p[0] for p in pairs]
    d = [p[1] for p in pairs]
    per_round = [x / y for x, y in pairs]
    return dict(value=med(n) / med(d), min=min(n) / min(d), lo=min(per_round),
                hi=max(per_round))


def meets(x, cmp, limit):
    return x <= limit if cmp == "<=" else x >= limit


def verdict(rs, cmp, limit):
    if rs is None:
        return "n/a"
    s = "PASS" if meets(rs["value"], cmp, limit) else "FAIL"
    if meets(rs["lo"], cmp, limit) != meets(rs["hi"], cmp, limit):
        s += " (rounds straddle the target)"
    return s


def fmt_s(x):
    return "%.2f s" % x


def fmt_mib(kib):
    return "%.0f MiB" % (kib / 1024.0)


def cmp_sym(cmp):
    return "≤" if cmp == "<=" else "≥"


def project_section(res, jobs):
    rounds = res["rounds"]
    lines = []
    lines.append("### %s\n" % res["name"])
    lines.append("%d of %d TUs (database: %d entries, %d distinct files; subset: every %d%s file "
                 "sorted by path). Warm-up/correctness pass: %s. Load average during the rounds: "
                 "%s.\n"
                 % (len(res["files"]), res["distinct"], res["raw_entries"], res["distinct"],
                    res["stride"], ordinal_suffix(res["stride"]),
                    res["check"]["summary"] or ("exit %d" % res["check"]["rc"]),
                    " → ".join(res["load"])))
    lines.append("| configuration | runs | wall min | wall median | wall max | CPU median "
                 "| peak RSS median | failed |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for cfg in res["configs"]:
        xs = [r[cfg] for r in rounds if cfg in r]
        if not xs:
            continue
        walls = [x["wall"] for x in xs]
        lines.append("| (%s) %s | %d | %s | %s | %s | %s | %s | %d |" % (
            cfg, LABELS[cfg].format(N=jobs), len(xs), fmt_s(min(walls)), fmt_s(med(walls)),
            fmt_s(max(walls)), fmt_s(med([x["cpu"] for x in xs])),
            fmt_mib(med([x["rss"] for x in xs])), max(x["failures"] for x in xs)))
    lines.append("")
    lines.append("| ratio | median/median | min/min | per-round range | target | result |")
    lines.append("| --- | ---: | ---: | ---: | ---: | --- |")
    for key, label, num, den, metric, cmp, limit in TARGETS:
        rs = res["ratios"].get(key)
        if rs is None:
            continue
        lines.append("| %s | %.3f× | %.3f× | %.3f–%.3f | %s %.2f× | %s |" % (
            label.format(N=jobs), rs["value"], rs["min"], rs["lo"], rs["hi"], cmp_sym(cmp),
            limit, verdict(rs, cmp, limit)))
    rs = res["ratios"].get("speedup_bound")
    if rs:
        lines.append("| scheduling bound: best -j%d speedup for these TUs in this order (list scheduling of "
                     "the fsyntax-only per-TU CPU times) | %.3f× | | %.3f–%.3f | (info) | |"
                     % (jobs, rs["value"], rs["lo"], rs["hi"]))
    for key, label, num, den, metric in INFO:
        rs = res["ratios"].get(key)
        if rs is None:
            continue
        lines.append("| %s | %.3f× | %.3f× | %.3f–%.3f | (info) | |" % (
            label.format(N=jobs), rs["value"], rs["min"], rs["lo"], rs["hi"]))
    cg = res.get("callgrind")
    if cg:
        for label, num, den in (("instructions threadleak -j1 worker / fsyntax-only (callgrind)",
                                 "b", "a"),
                                ("instructions plugin / no-checks stand-in (callgrind)", "d", "e")):
            if cg.get(num) and cg.get(den):
                lines.append("| %s | %.4f× (%.0f M / %.0f M) | | | (info) | |" % (
                    label, cg[num] / cg[den], cg[num] / 1e6, cg[den] / 1e6))
    anon = res.get("anon")
    if anon:
        for key, label, num, den in ANON:
            if anon.get(num) and anon.get(den):
                lines.append("| %s | %.3f× (%s / %s) | | | (info) | |" % (
                    label, anon[num] / anon[den], fmt_mib(anon[num]), fmt_mib(anon[den])))
        lines.append("")
        lines.append("Sampled anonymous memory measured on the %d TU(s) with the largest "
                     "fsyntax-only peak RSS: %s.\n"
                     % (len(anon["files"]), ", ".join("`%s`" % os.path.relpath(f, res["srcdir"])
                                                       for f in anon["files"])))
    if cg:
        lines.append("Instruction counts (callgrind) summed over %s.\n" % ", ".join(
            "`%s`" % os.path.relpath(f, res["srcdir"]) for f in cg["files"]))
    lines.append("")
    return "\n".join(lines)


def ordinal_suffix(n):
    if n == 1:
        return "st (all)"
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def summary_section(results, jobs):
    lines = ["## Summary\n"]
    targets = [t for t in TARGETS if any(t[0] in r["ratios"] for r in results)]
    hdr = "| project | TUs |"
    sep = "| --- | ---: |"
    for key, label, *_ in targets:
        hdr += " %s |" % label.format(N=jobs)
        sep += " --- |"
    lines += [hdr, sep]
    for res in results:
        row = "| %s | %d |" % (res["name"], len(res["files"]))
        for key, label, num, den, metric, cmp, limit in targets:
            rs = res["ratios"].get(key)
            cell = "n/a" if rs is None else "%.3f× %s" % (
                rs["value"], verdict(rs, cmp, limit).split(" ")[0])
            bound = res["ratios"].get("speedup_bound")
            if key == "speedup" and rs is not None and bound:
                cell += " (scheduling bound ≈ %.2f×)" % bound["value"]
            row += " %s |" % cell
        lines.append(row)
    # Issue 6: every target must hold on every project.
    row = "| **every project** | %d |" % sum(len(r["files"]) for r in results)
    for key, label, num, den, metric, cmp, limit in targets:
        vals = [r["ratios"][key] for r in results if key in r["ratios"]]
        worst = max(v["value"] for v in vals) if cmp == "<=" else min(v["value"] for v in vals)
        ok = all(meets(v["value"], cmp, limit) for v in vals)
        row += " worst %.3f× **%s** (%s %.2f×) |" % (worst, "PASS" if ok else "FAIL",
                                                     cmp_sym(cmp), limit)
    lines.append(row)
    lines.append("")
    cg_rows = [(r["name"], r["callgrind"]) for r in results if r.get("callgrind")]
    if cg_rows:
        lines.append("Deterministic cross-check, instruction counts (`--callgrind-tus`; no "
                     "kernel time, no cache or memory stalls):\n")
        lines.append("| project | TUs | threadleak worker / fsyntax-only | target ≤ 1.05× "
                     "| plugin / no-checks stand-in | target ≤ 1.03× |")
        lines.append("| --- | ---: | ---: | --- | ---: | --- |")
        for name, cg in cg_rows:
            r1 = cg["b"] / cg["a"] if cg.get("a") and cg.get("b") else None
            r2 = cg["d"] / cg["e"] if cg.get("d") and cg.get("e") else None
            lines.append("| %s | %d | %s | %s | %s | %s |" % (
                name, len(cg["files"]),
                "%.4f×" % r1 if r1 else "n/a", ("PASS" if r1 <= 1.05 else "FAIL") if r1 else "",
                "%.4f×" % r2 if r2 else "n/a", ("PASS" if r2 <= 1.03 else "FAIL") if r2 else ""))
        lines.append("")
    return "\n".join(lines)


def schedule_bound(per_tu_seconds, jobs):
    """Speedup -jN could reach at best on these TUs if each took the given
    time: threadleak starts the TUs in the order given, each on the first
    free worker (list scheduling); the longest TUs near the end leave
    workers idle."""
    workers = [0.0] * max(1, jobs)
    for t in per_tu_seconds:
        i = workers.index(min(workers))
        workers[i] += t
    total = sum(per_tu_seconds)
    return total / max(workers) if total else float("nan")


def compute_ratios(res, jobs):
    rounds = res["rounds"]
    out = {}
    bounds = [schedule_bound([t[1] for t in r["a"]["per_tu"]], jobs)
              for r in rounds if "a" in r and "per_tu" in r["a"]]
    if bounds:
        out["speedup_bound"] = dict(value=med(bounds), min=min(bounds), lo=min(bounds),
                                    hi=max(bounds))
    for key, label, num, den, metric, *_ in TARGETS:
        rs = ratio_stats(rounds, num, den, metric)
        if rs:
            out[key] = rs
    for key, label, num, den, metric in INFO:
        rs = ratio_stats(rounds, num, den, metric)
        if rs:
            out[key] = rs
    res["ratios"] = out


def git_state():
    try:
        rev = subprocess.run(["git", "-C", REPO_DIR, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO_DIR, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def first_line(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def write_report(path, meta, results, jobs):
    parts = ["# threadleak benchmark: %s, %s\n" % (meta["host"], meta["date"])]
    parts.append("Produced by `bench/run.sh %s` (see bench/README.md for what is measured and how "
                 "to read this). Medians decide PASS/FAIL; min/max show the noise.\n"
                 % " ".join(meta["argv"]))
    parts.append("| | |\n| --- | --- |")
    for k in ("host", "cpu", "cores", "kernel", "threadleak", "git", "clang", "clang-tidy",
              "no-checks stand-in", "runs", "jobs", "load average (1 min)", "duration",
              "callgrind"):
        if k in meta:
            parts.append("| %s | %s |" % (k, meta[k]))
    parts.append("")
    parts.append(summary_section(results, jobs))
    parts.append("Targets (issue 6): threadleak -j1 ≤ 1.05× fsyntax-only on every project; plugin "
                 "≤ 1.03× clang-tidy with no checks; peak RSS ≤ 1.1× fsyntax-only; -j2 ≥ 1.9× "
                 "faster than -j1 on two cores; a warm cache run ≤ 5% of a cold run. PASS/FAIL "
                 "compares the ratio of the medians; \"rounds straddle the target\" (per-project "
                 "tables) means single rounds fell on both sides of it, i.e. the noise is larger "
                 "than the margin.\n")
    parts.append("## Per project\n")
    for res in results:
        parts.append(project_section(res, jobs))
    text = "\n".join(parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    raw = os.path.splitext(path)[0] + ".json"
    with open(raw + ".tmp", "w") as f:
        json.dump(dict(meta=meta, results=results), f, indent=1)
    os.replace(raw + ".tmp", raw)
    return text


# ---------------------------------------------------------------------------
# Stand-in survey
# ---------------------------------------------------------------------------

def survey_standin(tools, projects, work, strides, reps):
    log("\n## Stand-in survey: clang-tidy-22 per TU, summed; %d repetitions, medians\n" % reps)
    rows = []
    for name in projects:
        p = PROJECTS[name]
        build = os.path.join(work, name, "build")
        dbdir, raw_n, entries, subset = make_db(name, work, build, strides[name])
        logf = open(os.path.join(work, name, "survey.log"), "w")
        data = {}
        for rep in range(reps):
            for checks, extra in STANDIN_CANDIDATES + [("fsyntax-only", None)]:
                w = c = 0.0
                rss = 0
                bad = 0
                for e in subset:
                    if extra is None:
                        cmd = syntax_only_cmd(tools, e)
                    else:
                        cmd = [tools.clang_tidy, "--checks=" + checks, "-p", dbdir, e["file"]]
                        for x in extra:
                            cmd.insert(1, "--load=" + tools.plugin if x == "@plugin" else x)
                    ww, cc, rr, rc = timed(tools, cmd, e["directory"], logf)
                    w += ww
                    c += cc
                    rss = max(rss, rr)
                    bad += rc != 0
                data.setdefault(checks, []).append((w, c, rss, bad))
        for checks, xs in data.items():
            rows.append((name, len(subset), checks, med([x[0] for x in xs]),
                         med([x[1] for x in xs]), med([x[2] for x in xs]), max(x[3] for x in xs)))
    out = ["| project | TUs | --checks | wall | CPU | peak RSS | non-zero exits |",
           "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for name, n, checks, w, c, rss, bad in rows:
        out.append("| %s | %d | `%s` | %s | %s | %s | %d |" % (name, n, checks, fmt_s(w), fmt_s(c),
                                                              fmt_mib(rss), bad))
    text = "\n".join(out)
    log(text)
    return text


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke check: 1 round, small subsets (each project's quick stride)")
    ap.add_argument("--runs", type=int, help="alternating rounds (default 3; 1 with --quick)")
    ap.add_argument("--projects", default=",".join(PROJECT_ORDER),
                    help="comma-separated subset of: " + ", ".join(PROJECT_ORDER))
    ap.add_argument("--stride", action="append", default=[], metavar="PROJECT=K",
                    help="take every K-th file (sorted by path) of PROJECT's deduplicated "
                         "database (default: " + ", ".join(
                             "%s=%d" % (p, PROJECTS[p]["stride"]) for p in PROJECT_ORDER) + ")")
    ap.add_argument("--configs", default="abcdef",
                    help="which of a b c d e f to measure (default all; f needs the findings cache)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="N for threadleak -jN")
    ap.add_argument("--standin", default=DEFAULT_STANDIN,
                    help="the check clang-tidy runs as 'no checks' (default %(default)s)")
    ap.add_argument("--anon-tus", type=int, default=3, metavar="K",
                    help="after the rounds, sample peak anonymous memory on the K TUs with the "
                         "largest fsyntax-only RSS (0: skip; default %(default)s)")
    ap.add_argument("--callgrind-tus", type=int, default=0, metavar="K",
                    help="after the rounds, count instructions (valgrind --tool=callgrind, slow: "
                         "~50x) of a, b, d, e on K TUs per project at evenly spaced quantiles of "
                         "the fsyntax-only time (0: skip; the default)")
    ap.add_argument("--work", default=os.path.join(BENCH_DIR, "work"))
    ap.add_argument("--threadleak-arg", action="append", default=[], metavar="ARG",
                    help="pass ARG to every threadleak run (repeat; e.g. --threadleak-arg=--cross-tu)")
    ap.add_argument("--out", help="report path (default bench/results/<host>-<date>[-quick].md)")
    ap.add_argument("--no-fetch", action="store_true",
                    help="do not touch apt or cmake; use what is in --work")
    ap.add_argument("--fetch-only", action="store_true", help="fetch and configure, then stop")
    ap.add_argument("--no-snapshot", action="store_true",
                    help="run threadleak and the plugin in place instead of from a copy")
    ap.add_argument("--survey-standin", action="store_true",
                    help="measure the candidate stand-ins for 'clang-tidy with no checks' and stop")
    ap.add_argument("--threadleak", default=find_tool(
        "THREADLEAK", os.path.join(REPO_DIR, "build/bin/threadleak")))
    ap.add_argument("--plugin", default=find_tool(
        "THREADLEAK_PLUGIN", os.path.join(REPO_DIR, "build/lib/ThreadLeakPlugin.so")))
    ap.add_argument("--clang-tidy", default=find_tool(
        "CLANG_TIDY", "clang-tidy-22", "/usr/lib/llvm-22/bin/clang-tidy"))
    ap.add_argument("--clangxx", default=find_tool("CLANGXX", "clang++-22",
                                                   "/usr/lib/llvm-22/bin/clang++"))
    ap.add_argument("--clang", default=find_tool("CLANG", "clang-22", "/usr/lib/llvm-22/bin/clang"))
    ap.add_argument("--from-json", metavar="FILE",
                    help="rewrite the markdown report from a raw .json of an earlier run "
                         "(no measuring); writes next to it unless --out is given")
    a = ap.parse_args()

    if a.from_json:
        data = json.load(open(a.from_json))
        meta, results = data["meta"], data["results"]
        for res in results:
            compute_ratios(res, meta["jobs"])
        if a.callgrind_tus > 0:
            # Add instruction counts to an earlier run, over the same TUs.
            if not shutil.which("valgrind"):
                die("--callgrind-tus needs valgrind (apt-get install valgrind)")
            tools = Tools(a, os.path.abspath(a.work))
            if "sha256 %s" % tools.digests["threadleak"] not in meta["threadleak"]:
                log("warning: threadleak %s is not the binary the rounds measured (%s)"
                    % (tools.digests["threadleak"], meta["threadleak"]))
            for res in results:
                work = os.path.abspath(a.work)
                dbdir, raw_n, entries, subset = make_db(
                    res["name"], work, os.path.join(work, res["name"], "build"), res["stride"])
                if [e["file"] for e in subset] != res["files"]:
                    die("the TUs of %s differ from the run's" % res["name"])
                log("counting instructions with callgrind: %s" % res["name"])
                res["callgrind"] = callgrind_pass(tools, res["configs"], dbdir, subset,
                                                  res["rounds"], a.callgrind_tus,
                                                  os.path.join(work, res["name"], "callgrind"))
            meta["callgrind"] = "added by `bench/run.sh --from-json ... --callgrind-tus %d`" \
                % a.callgrind_tus
        out = a.out or os.path.splitext(a.from_json)[0] + ".md"
        write_report(out, meta, results, meta["jobs"])
        log(summary_section(results, meta["jobs"]))
        log("report: " + os.path.relpath(out))
        return 0

    projects = [p.strip() for p in a.projects.split(",") if p.strip()]
    for p in projects:
        if p not in PROJECTS:
            die("unknown project %r (known: %s)" % (p, ", ".join(PROJECT_ORDER)))
    strides = {p: PROJECTS[p]["quick_stride" if a.quick else "stride"] for p in PROJECTS}
    for s in a.stride:
        m = re.match(r"^([\w.+-]+)=([0-9]+)$", s)
        if not m or m.group(1) not in PROJECTS or int(m.group(2)) < 1:
            die("bad --stride %r (want PROJECT=K, K >= 1)" % s)
        strides[m.group(1)] = int(m.group(2))
    runs = a.runs if a.runs else (1 if a.quick else 3)
    if runs < 1:
        die("--runs must be at least 1")
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)

    if not a.no_fetch:
        ensure_prerequisites()
        for name in projects:
            fetch_and_configure(name, work)
    if a.fetch_only:
        return 0
    for tool in (a.threadleak, a.plugin, a.clang_tidy, a.clangxx, a.clang, "/usr/bin/time"):
        if not os.path.exists(tool) and not shutil.which(tool):
            die("not found: %s" % tool)
    tools = Tools(a, work)
    configs = [c for c in CONFIGS if c in a.configs and (c != "f" or tools.has_cache)]
    if a.survey_standin:
        survey_standin(tools, projects, work, strides, runs)
        return 0

    host = socket.gethostname()
    date = datetime.date.today().isoformat()
    out = a.out or os.path.join(BENCH_DIR, "results",
                                "%s-%s%s.md" % (host, date, "-quick" if a.quick else ""))
    meta = dict(host=host, date=date, argv=sys.argv[1:], cpu=cpu_model(), cores=os.cpu_count(),
                kernel=platform.release(),
                threadleak="%s (binary sha256 %s…, plugin %s…)" % (
                    first_line([tools.threadleak, "--version"]), tools.digests["threadleak"],
                    tools.digests["plugin"]),
                git=git_state(), clang=first_line([a.clangxx, "--version"]),
                runs=runs, jobs=a.jobs)
    meta["clang-tidy"] = first_line([a.clang_tidy, "--version"]) or a.clang_tidy
    meta["no-checks stand-in"] = "`--checks='-*,%s'`" % a.standin
    load_before = loadavg()
    t_start = time.time()
    results = []
    for name in projects:
        build = os.path.join(work, name, "build")
        if not os.path.exists(os.path.join(build, "compile_commands.json")):
            die("%s is not configured (run without --no-fetch)" % name)
        dbdir, raw_n, entries, subset = make_db(name, work, build, strides[name])
        pdir = os.path.join(work, name)
        cache = os.path.join(pdir, "cache")
        log("\n== %s: %d of %d TUs (stride %d), %d round(s) of %s"
            % (name, len(subset), len(entries), strides[name], runs, " ".join(configs)))
        check = correctness_pass(tools, dbdir, subset, pdir, cache)
        log("   warm-up/correctness pass: exit %d, %s" % (check["rc"], check["summary"]))
        res = dict(name=name, srcdir=os.path.join(pdir, PROJECTS[name]["dir"]),
                   files=[e["file"] for e in subset], distinct=len(entries), raw_entries=raw_n,
                   stride=strides[name], configs=configs, check=check, rounds=[],
                   load=[loadavg()])
        with open(os.path.join(pdir, "bench.log"), "w") as logf:
            for r in range(runs):
                rnd = {}
                for cfg in configs:
                    m = measure(tools, cfg, dbdir, subset, logf, cache)
                    rnd[cfg] = m
                    log("   round %d (%s) %-46s wall %7.2f s  cpu %7.2f s  rss %5.0f MiB%s"
                        % (r + 1, cfg, LABELS[cfg].format(N=a.jobs), m["wall"], m["cpu"],
                           m["rss"] / 1024.0,
                           "  FAILED %d" % m["failures"] if m["failures"] else ""))
                res["rounds"].append(rnd)
                res["load"].append(loadavg())
            res["anon"] = anon_pass(tools, configs, dbdir, subset, res["rounds"], a.anon_tus,
                                    logf)
            if a.callgrind_tus > 0:
                if not shutil.which("valgrind"):
                    log("   --callgrind-tus: valgrind is not installed (apt-get install valgrind)")
                else:
                    log("   counting instructions with callgrind on %d TU(s)..." % a.callgrind_tus)
                    res["callgrind"] = callgrind_pass(tools, configs, dbdir, subset, res["rounds"],
                                                      a.callgrind_tus,
                                                      os.path.join(pdir, "callgrind"))
        compute_ratios(res, a.jobs)
        results.append(res)
        log(project_section(res, a.jobs))
        # Written after every project, so an interrupted run leaves a report.
        meta["load average (1 min)"] = "before: %s, after: %s" % (load_before, loadavg())
        meta["duration"] = "%.1f min" % ((time.time() - t_start) / 60.0)
        write_report(out, meta, results, a.jobs)
    log(summary_section(results, a.jobs))
    log("report: " + os.path.relpath(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
