#!/usr/bin/env python3
r"""threadleak validation: run every check on many real translation units.

Fetches Debian (bookworm) source packages that use threads, condition
variables, thread pools, event loops, Boost.Asio (channels, coroutines,
co_spawn), Boost.Fiber and TBB, builds a compilation database for each
(configure only, never a build), and runs

    threadleak -p <db> -jN --tu-timeout=300 --format=json -o <report> --no-cache

on ALL of its translation units with the default checks (`threadleak-*`).
It then writes a summary (per package: translation units, crashes, timeouts,
units that did not compile, findings) to stdout and to
<work>/validation-summary.md, followed by every failure and every finding
(file:line, check, message, notes) in a stable order.

  * A crash (signal) or a timeout is a tool bug.
  * A unit that does not compile is an environment problem (a missing
    header, a flag GCC accepts and clang does not, ...); those are listed
    separately with their first compiler error.

How each package gets its database:

  cmake  `apt-get source --download-only pkg=version`, `dpkg-source -x
         --skip-patches`, `cmake -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON`
         (configure_file outputs are produced by the configure step).
  synth  Boost 1.81: only the example and test directories of Asio, Fiber
         and Thread are extracted from the orig tarball (the full tree is
         48k files); the headers are those of libboost1.81-dev (the same
         1.81.0). Boost builds with b2, so the database is written here,
         one command per .cpp, with the flags of the libraries' Jamfiles.

Databases are deduplicated (first command per file), stripped of the few
GCC-only arguments clang's driver rejects (a package's `drop_args`), and
written to <work>/<package>/db/compile_commands.json. The raw report of each
package is <work>/<package>/threadleak.json, its stderr threadleak.stderr.
For a unit that did not compile because of an error in a header, the first
error of `clang++-22 -fsyntax-only` on its command is shown as the reason.

Run it niced, on a snapshot of the binary if build/ may be rebuilt meanwhile:

    mkdir -p /tmp/tl-snap/bin && cp build/bin/threadleak /tmp/tl-snap/bin/
    nice -n 19 bench/validate.py --threadleak /tmp/tl-snap/bin/threadleak

`--reuse` keeps a package's report when the binary (sha256), database and
options are unchanged, to finish an interrupted run. Two runs must not share
a --work directory: the reports of a package have fixed paths.

A targeted run (one or two checks, only the units that can matter to them):

    nice -n 19 bench/validate.py --threadleak /tmp/tl-val/bin/threadleak -j 1 \
        --checks='-*,threadleak-cv-lost-wakeup,threadleak-cv-wait-no-stop' \
        --tu-filter='notify_one|notify_all|notify\(|pthread_cond_|condition_variable'

  --checks GLOB      passed on as threadleak --checks=GLOB (clang-tidy globs,
                     applied after the default 'threadleak-*').
  --tu-filter REGEX  analyse only the units whose main source file's text
                     matches REGEX (Python `re.search`); the database of
                     <work>/<package>/db holds only those units, and the
                     summary shows both counts. Headers are not searched: a
                     unit that reaches a condition variable only through a
                     header's inline code is left out.

Needs root (apt-get), network access to deb.debian.org with a deb-src line
(added if missing, as bench/bench.py does), Python 3 (standard library only).
Reuses the helpers of bench/bench.py.
"""

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
sys.path.insert(0, BENCH_DIR)
import bench  # noqa: E402  (bench/bench.py: log, run, have_deb_src, apt_get, NEEDS)

log = bench.log
run = bench.run

# ---------------------------------------------------------------------------
# The packages.  `src`/`version` pin the bookworm source package, `dir` is
# what dpkg-source extracts to, `needs` what configuring needs (as in
# bench.NEEDS: (probe, Debian package)).  Boost: never install the
# libboost-*-dev meta packages, they are 1.74 and conflict with 1.81.
# ---------------------------------------------------------------------------
LIB = "/usr/lib/x86_64-linux-gnu/"
BOOST_HDR = ("file:/usr/include/boost/version.hpp", "libboost1.81-dev")

PACKAGES = {
    # Asio examples (cpp03..cpp20: channels, coroutines, co_spawn, deferred,
    # parallel_group, executors, thread pools) and tests (incl. experimental
    # channel and coro); Fiber examples and tests (channels, work stealing,
    # asio integration); Thread examples and tests (condition variables,
    # futures, executors, sync queues, barriers, latches).
    "boost1.81": dict(
        kind="synth", src="boost1.81", version="1.81.0-5+deb12u1", dir="boost",
        tarball="boost1.81_1.81.0.orig.tar.xz",
        needs=[BOOST_HDR, ("file:/usr/include/openssl/ssl.h", "libssl-dev"),
               ("cmd:xz", "xz-utils")],
        # (directory under the tarball's top, -std, extra flags, excluded
        #  path fragments); the first matching part wins.
        parts=[
            ("libs/asio/example/cpp03", "c++11", [], []),
            ("libs/asio/example/cpp11", "c++11", [], []),
            ("libs/asio/example/cpp14", "c++14", [], []),
            ("libs/asio/example/cpp17", "c++20", [], []),   # coroutines_ts: std coroutines
            ("libs/asio/example/cpp20", "c++20", [], []),
            # properties/: 171 trait-only compile tests; windows/: empty on Linux.
            ("libs/asio/test", "c++20",
             ["-D_XOPEN_SOURCE=600", "-D_GNU_SOURCE=1"],
             ["/properties/", "/windows/"]),
            ("libs/fiber/examples", "c++17", [], ["/hip/", "/cuda/"]),
            ("libs/fiber/test", "c++17", [], []),
            ("libs/thread/example", "c++14",
             ["-DBOOST_THREAD_THROW_IF_PRECONDITION_NOT_SATISFIED"], []),
            # *_fail.cpp are compile-fail tests; self_contained_header.cpp
            # needs -DBOOST_THREAD_TEST_HEADER=<each header>.
            ("libs/thread/test", "c++14",
             ["-DBOOST_THREAD_THROW_IF_PRECONDITION_NOT_SATISFIED"],
             ["_fail.cpp", "self_contained_header.cpp"]),
        ],
        flags=["-pthread", "-DBOOST_ALL_NO_LIB=1"]),
    # Thread, ThreadPool, NotificationQueue, Activity, TaskManager, Timer,
    # SocketReactor, TCPServer, HTTPServer, ... with all test suites.
    "poco": dict(
        kind="cmake", src="poco", version="1.11.0-3+deb12u1", dir="poco-1.11.0",
        needs=[("file:/usr/include/openssl/ssl.h", "libssl-dev")],
        cmake=["-DENABLE_TESTS=ON", "-DENABLE_DATA_MYSQL=OFF",
               "-DENABLE_DATA_POSTGRESQL=OFF", "-DENABLE_DATA_ODBC=OFF",
               "-DENABLE_APACHECONNECTOR=OFF"]),
    # The scheduler, arenas, concurrent_bounded_queue, flow graph; with the
    # tests (TBB_TEST) and examples.
    "onetbb": dict(
        kind="cmake", src="onetbb", version="2021.8.0-2+deb12u1", dir="onetbb-2021.8.0",
        needs=[],
        cmake=["-DTBB_TEST=ON", "-DTBB_STRICT=OFF", "-DTBB_EXAMPLES=ON"],
        # GCC-only; clang's driver rejects it ("unknown argument") and the
        # whole runtime library (src/tbb, src/tbbmalloc) would not compile.
        drop_args=["-flifetime-dse=1"]),
    # ThreadManager, TThreadPoolServer, TNonblockingServer (libevent loop).
    # The compiler is off, so the tests (which need generated code) are too.
    "thrift": dict(
        kind="cmake", src="thrift", version="0.17.0-2", dir="thrift-0.17.0",
        needs=[BOOST_HDR, ("file:/usr/include/event2/event.h", "libevent-dev"),
               ("file:/usr/include/openssl/ssl.h", "libssl-dev"),
               ("file:/usr/include/zlib.h", "zlib1g-dev")],
        cmake=["-DBUILD_COMPILER=OFF", "-DBUILD_TESTING=OFF", "-DBUILD_TUTORIALS=OFF",
               "-DWITH_JAVA=OFF", "-DWITH_PYTHON=OFF", "-DWITH_JAVASCRIPT=OFF",
               "-DWITH_NODEJS=OFF", "-DWITH_C_GLIB=OFF", "-DWITH_QT5=OFF",
               "-DWITH_CPP=ON", "-DWITH_LIBEVENT=ON", "-DWITH_OPENSSL=ON",
               "-DWITH_ZLIB=ON"]),
    # I2P router: Boost.Asio io_services on their own threads, worker queues.
    "i2pd": dict(
        kind="cmake", src="i2pd", version="2.45.1-1", dir="i2pd-2.45.1", cmake_subdir="build",
        needs=[BOOST_HDR,
               ("file:" + LIB + "libboost_program_options.so", "libboost-program-options1.81-dev"),
               ("file:" + LIB + "libboost_filesystem.so", "libboost-filesystem1.81-dev"),
               ("file:/usr/include/openssl/ssl.h", "libssl-dev"),
               ("file:/usr/include/zlib.h", "zlib1g-dev")],
        cmake=["-DWITH_UPNP=OFF", "-DWITH_LIBRARY=ON", "-DWITH_BINARY=ON"]),
    # Async logger: thread pool over an mpmc blocking queue (condition variables).
    "spdlog": dict(
        kind="cmake", src="spdlog", version="1:1.10.0+ds-0.4", dir="spdlog-1.10.0+ds",
        needs=[("file:/usr/include/fmt/core.h", "libfmt-dev")],
        cmake=["-DSPDLOG_BUILD_TESTS=ON", "-DSPDLOG_BUILD_EXAMPLE=ON",
               "-DSPDLOG_BUILD_BENCH=OFF", "-DSPDLOG_FMT_EXTERNAL=ON"]),
    # The code bases of bench/bench.py (same versions and options): the
    # libraries only, no tests.
    # leveldb: port::CondVar (std::condition_variable) in the DB's writer
    # queue and background compaction; env_posix's background thread.
    "leveldb": dict(
        kind="cmake", src="leveldb", version="1.23-4", dir="leveldb-1.23",
        needs=[],
        cmake=["-DLEVELDB_BUILD_TESTS=OFF", "-DLEVELDB_BUILD_BENCHMARKS=OFF"]),
    # libzmq: its own mutex/condition_t over pthread_cond, the reaper and
    # I/O threads.
    "zeromq3": dict(
        kind="cmake", src="zeromq3", version="4.3.4-6", dir="zeromq3-4.3.4",
        needs=[], cmake=["-DBUILD_TESTS=OFF"]),
    # Thread pools, write threads, the WriteThread's adaptive waits, the
    # background error recovery (port::CondVar over pthread_cond and
    # std::condition_variable).
    "rocksdb": dict(
        kind="cmake", src="rocksdb", version="7.8.3-2", dir="rocksdb-7.8.3",
        needs=[],
        cmake=["-DWITH_GFLAGS=OFF", "-DWITH_TESTS=OFF", "-DWITH_BENCHMARK_TOOLS=OFF",
               "-DWITH_TOOLS=OFF", "-DFAIL_ON_WARNINGS=OFF"]),
    # The session's network thread, the disk I/O thread pool (std::condition_variable).
    "libtorrent-rasterbar": dict(
        kind="cmake", src="libtorrent-rasterbar", version="2.0.8-1",
        dir="libtorrent-rasterbar-2.0.8",
        needs=[BOOST_HDR, ("file:/usr/include/openssl/ssl.h", "libssl-dev")],
        cmake=["-Dbuild_tests=OFF", "-Dpython-bindings=OFF", "-Dencryption=OFF"]),
    # More users of std::condition_variable / pthread_cond:
    # libuv: uv_cond_* (pthread_cond) in the thread pool (threadpool.c),
    # uv_barrier/uv_sem, and their tests.
    "libuv1": dict(
        kind="cmake", src="libuv1", version="1.44.2-1+deb12u1", dir="libuv1-1.44.2",
        needs=[], cmake=["-DLIBUV_BUILD_TESTS=ON", "-DLIBUV_BUILD_BENCH=OFF"]),
    # glog: the log sink's and the tests' threads.
    "google-glog": dict(
        kind="cmake", src="google-glog", version="0.6.0-2", dir="google-glog-0.6.0",
        needs=[], cmake=["-DWITH_GFLAGS=OFF", "-DWITH_GTEST=OFF", "-DBUILD_TESTING=ON",
                         "-DWITH_UNWIND=OFF"]),
    # fish: the iothread pool (a queue drained by threads that park on a
    # condition variable), topic_monitor (a binary semaphore over
    # pthread_cond / a condition variable), the universal-variable notifier.
    "fish": dict(
        kind="cmake", src="fish", version="3.6.0-3.1+deb12u1", dir="fish-3.6.0",
        needs=[("file:/usr/include/ncurses.h", "libncurses-dev"),
               ("file:/usr/include/pcre2.h", "libpcre2-dev")],
        cmake=["-DBUILD_DOCS=OFF", "-DFISH_USE_SYSTEM_PCRE2=ON"]),
    # log4cplus: the AsyncAppender's queue and its thread pool (condition
    # variables), its own thread/syncprims layer.
    "log4cplus": dict(
        kind="cmake", src="log4cplus", version="2.0.8-1", dir="log4cplus-2.0.8",
        needs=[], cmake=["-DLOG4CPLUS_BUILD_TESTING=ON", "-DWITH_UNIT_TESTS=ON",
                         "-DLOG4CPLUS_BUILD_LOGGINGSERVER=ON"]),
    # CMake: cmWorkerPool (a job queue whose workers and fence wait on
    # condition variables); configured with its bundled libraries.
    "cmake": dict(
        kind="cmake", src="cmake", version="3.25.1-1", dir="cmake-3.25.1",
        needs=[], cmake=["-DBUILD_TESTING=OFF", "-DBUILD_QtDialog=OFF",
                         "-DBUILD_CursesDialog=OFF", "-DCMAKE_USE_OPENSSL=OFF"]),
    # Abseil: the per-thread semaphore's pthread_cond waiter
    # (synchronization/internal/waiter.cc), under absl::Mutex.
    "abseil": dict(
        kind="cmake", src="abseil", version="20220623.1-1+deb12u2", dir="abseil-20220623.1",
        needs=[], cmake=["-DBUILD_TESTING=OFF", "-DABSL_PROPAGATE_CXX_STD=ON"]),
    # Google Benchmark: the runner's thread manager and barrier
    # (std::condition_variable).
    "benchmark": dict(
        kind="cmake", src="benchmark", version="1.7.1-1", dir="benchmark-1.7.1",
        needs=[], cmake=["-DBENCHMARK_ENABLE_TESTING=OFF", "-DBENCHMARK_ENABLE_GTEST_TESTS=OFF",
                         "-DBENCHMARK_ENABLE_WERROR=OFF"],
        # clang 22 makes __COUNTER__ (used by BENCHMARK()) a C2y extension,
        # an error under -pedantic-errors; GCC 12 does not.
        drop_args=["-pedantic-errors"]),
    # Eclipse Paho MQTT C++: tokens completed from the C library's callback
    # threads (a condition variable per token), the samples' thread queues.
    "paho.mqtt.cpp": dict(
        kind="cmake", src="paho.mqtt.cpp", version="1.2.0-2", dir="paho.mqtt.cpp-1.2.0",
        needs=[("file:/usr/include/MQTTAsync.h", "libpaho-mqtt-dev")],
        cmake=["-DPAHO_WITH_SSL=OFF", "-DPAHO_BUILD_SAMPLES=ON", "-DPAHO_BUILD_TESTS=OFF"]),
    # libcds: lock-free and fine-grained-locking containers, all class
    # templates over policy parameters (a lock type, a back-off, a wait
    # strategy): striped sets and maps over std::mutex / spin locks, the
    # flat-combining kernel's condition-variable wait strategies, the
    # monitors (sync::pool_monitor, injecting_monitor), segmented and
    # mutex-based queues. The library (src/) and the unit tests (gtest),
    # which instantiate every container with every policy; no stress tests.
    "libcds": dict(
        kind="cmake", src="libcds", version="2.3.3-2", dir="libcds-2.3.3",
        needs=[BOOST_HDR, ("file:/usr/include/gtest/gtest.h", "libgtest-dev")],
        cmake=["-DWITH_TESTS=ON", "-DENABLE_UNIT_TEST=ON", "-DENABLE_STRESS_TEST=OFF"]),
    # QCoro: C++20 coroutines over Qt (QCoro::Task, eager and awaitable;
    # coroutines awaiting timers, signals, futures, network replies, D-Bus
    # calls and threads): the one bookworm package whose concurrency code is
    # coroutine-based. The mirror serves its binary packages but not its
    # source (qcoro_0.8.0.orig.tar.gz: 404), so this is built from the
    # binaries: the headers of qcoro-qt5-dev (analysed as the project's own
    # code, -I) and the examples that qcoro-doc ships, one command per .cpp.
    # The examples that include their moc output ("main.moc") or a header
    # of the source tree that is not installed do not compile.
    "qcoro": dict(
        kind="debs", src="qcoro", version="0.8.0-1", dir="root",
        debs=["qcoro-qt5-dev", "qcoro-doc"],
        needs=[("file:/usr/include/x86_64-linux-gnu/qt5/QtCore/QObject", "qtbase5-dev")],
        parts=[("usr/share/doc/qcoro-doc/examples", "c++20", [], [])],
        flags=["-fPIC", "-pthread", "-Iusr/include/qcoro5", "-Iusr/include/qcoro5/qcoro",
               "-Iusr/include/qcoro5/QCoro",
               # dbus/*/main.cpp include "common/dbusserver.h".
               "-Iusr/share/doc/qcoro-doc/examples/dbus"]
        + ["-isystem/usr/include/x86_64-linux-gnu/qt5" + m
           for m in ("", "/QtCore", "/QtNetwork", "/QtDBus", "/QtConcurrent", "/QtGui",
                     "/QtWidgets")]),
}
ORDER = ["boost1.81", "poco", "onetbb", "thrift", "i2pd", "spdlog",
         "leveldb", "zeromq3", "rocksdb", "libtorrent-rasterbar",
         "libuv1", "google-glog", "fish", "log4cplus", "cmake", "abseil", "benchmark",
         "paho.mqtt.cpp", "qcoro", "libcds"]

FAIL_CHECK = "threadleak-failure"
COMPILE_CHECK = "clang-diagnostic-error"


class PackageError(Exception):
    pass


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------
# Fetching and configuring
# ---------------------------------------------------------------------------

def ensure_prerequisites(names):
    needs = [n for n in bench.NEEDS if n[1] in ("cmake", "ninja-build", "dpkg-dev")]
    for name in names:
        needs += PACKAGES[name]["needs"]
    missing = []
    for probe, pkg in needs:
        kind, what = probe.split(":", 1)
        ok = shutil.which(what) if kind == "cmd" else os.path.exists(what)
        if not ok and pkg not in missing:
            missing.append(pkg)
    if not bench.have_deb_src():
        # deb822, with the same Signed-By as Debian's own debian.sources: a
        # one-line "deb-src ..." .list next to a .sources that has Signed-By
        # makes apt refuse every list ("Conflicting values set for option
        # Signed-By"). The point releases' and security's sources too: the
        # pinned versions (+deb12uN) are there.
        path = "/etc/apt/sources.list.d/threadleak-bench-src.sources"
        log("no deb-src line configured; writing " + path)
        with open(path, "w") as f:
            f.write("Types: deb-src\nURIs: http://deb.debian.org/debian\n"
                    "Suites: bookworm bookworm-updates\nComponents: main\n"
                    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
                    "Types: deb-src\nURIs: http://deb.debian.org/debian-security\n"
                    "Suites: bookworm-security\nComponents: main\n"
                    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
        bench.apt_get(["update"])
    elif subprocess.run(["apt-cache", "showsrc", PACKAGES[names[0]]["src"]],
                        capture_output=True, text=True).stdout.strip() == "":
        bench.apt_get(["update"])
    if missing:
        log("installing what configuring needs: " + " ".join(missing))
        bench.apt_get(["install", "-y", "--no-install-recommends"] + missing)


def download(p, pdir, fetch):
    """The .dsc of the pinned version in pdir (downloaded if missing)."""
    dsc = "%s_%s.dsc" % (p["src"], p["version"].split(":")[-1])
    if os.path.exists(os.path.join(pdir, dsc)):
        return dsc
    if not fetch:
        raise PackageError("%s is not in %s and --no-fetch was given" % (dsc, pdir))
    r = run(["apt-get", "source", "--download-only", "%s=%s" % (p["src"], p["version"])], cwd=pdir)
    if r.returncode == 0 and os.path.exists(os.path.join(pdir, dsc)):
        return dsc
    log("warning: %s %s is not available; taking the current bookworm version"
        % (p["src"], p["version"]))
    r = run(["apt-get", "source", "--download-only", p["src"]], cwd=pdir)
    found = sorted(glob.glob(os.path.join(pdir, p["src"] + "_*.dsc")))
    if r.returncode != 0 or not found:
        raise PackageError("cannot download the source package " + p["src"])
    return os.path.basename(found[-1])


def prepare_cmake(name, p, pdir, fetch):
    srcdir = os.path.join(pdir, p["dir"])
    marker = os.path.join(srcdir, ".bench-extracted")
    if not os.path.exists(marker):
        dsc = download(p, pdir, fetch)
        if os.path.exists(srcdir):
            shutil.rmtree(srcdir)
        r = run(["dpkg-source", "-x", "--skip-patches", dsc, p["dir"]], cwd=pdir,
                stdout=subprocess.DEVNULL)
        if r.returncode != 0 or not os.path.isdir(srcdir):
            raise PackageError("dpkg-source -x failed for " + dsc)
        with open(marker, "w") as f:
            f.write(dsc + "\n")
    build = os.path.join(pdir, "build")
    cmake_src = os.path.join(srcdir, p.get("cmake_subdir", ""))
    args = ["cmake", "-S", os.path.normpath(cmake_src), "-B", build, "-G", "Ninja",
            "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"] + p["cmake"]
    stamp = os.path.join(build, ".bench-configured")
    db = os.path.join(build, "compile_commands.json")
    if not (os.path.exists(stamp) and open(stamp).read() == " ".join(args)
            and os.path.exists(db)):
        with open(os.path.join(pdir, "configure.log"), "w") as logf:
            r = run(args, stdout=logf, stderr=subprocess.STDOUT)
        if r.returncode != 0 or not os.path.exists(db):
            raise PackageError("configuring %s failed; see %s"
                               % (name, os.path.join(pdir, "configure.log")))
        with open(stamp, "w") as f:
            f.write(" ".join(args))
    return srcdir, json.load(open(db))


def prepare_synth(name, p, pdir, fetch):
    """Extract only the parts' directories and write one command per .cpp."""
    root = os.path.join(pdir, p["dir"])
    marker = os.path.join(pdir, ".validate-extracted")
    dirs = [d for d, _, _, _ in p["parts"]]
    want = "\n".join(dirs) + "\n"
    if not (os.path.exists(marker) and open(marker).read() == want):
        tarball = os.path.join(pdir, p["tarball"])
        if not os.path.exists(tarball):
            download(p, pdir, fetch)
        if not os.path.exists(tarball):
            raise PackageError("no %s in %s" % (p["tarball"], pdir))
        if os.path.exists(root):
            shutil.rmtree(root)
        r = run(["tar", "-xJf", tarball] + [p["dir"] + "/" + d for d in dirs], cwd=pdir)
        if r.returncode != 0:
            raise PackageError("extracting %s failed" % p["tarball"])
        with open(marker, "w") as f:
            f.write(want)
    entries = []
    seen = set()
    for d, std, extra, excluded in p["parts"]:
        top = os.path.join(root, d)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for fn in sorted(filenames):
                if not fn.endswith(".cpp"):
                    continue
                f = os.path.join(dirpath, fn)
                if f in seen or any(x in f for x in excluded):
                    continue
                seen.add(f)
                entries.append(dict(
                    directory=dirpath, file=f,
                    arguments=["/usr/bin/c++", "-std=" + std] + p["flags"] + extra
                    + ["-I" + root, "-c", f, "-o", "/dev/null"]))
    return root, entries


def prepare_debs(name, p, pdir, fetch):
    """Binary packages (apt-get download, dpkg-deb -x into pdir/root) and
    one command per .cpp of the parts, as prepare_synth writes them; -I
    arguments in flags are relative to the extracted root."""
    root = os.path.join(pdir, p["dir"])
    marker = os.path.join(pdir, ".validate-extracted")
    want = "%s %s\n" % (" ".join(p["debs"]), p["version"])
    if not (os.path.exists(marker) and open(marker).read() == want):
        debs = []
        for d in p["debs"]:
            found = sorted(glob.glob(os.path.join(pdir, "%s_%s_*.deb" % (d, p["version"]))))
            if not found:
                if not fetch:
                    raise PackageError("no %s %s .deb in %s and --no-fetch was given"
                                       % (d, p["version"], pdir))
                r = run(["apt-get", "download", "%s=%s" % (d, p["version"])], cwd=pdir)
                found = sorted(glob.glob(os.path.join(pdir, "%s_%s_*.deb" % (d, p["version"]))))
                if r.returncode != 0 or not found:
                    raise PackageError("cannot download %s %s" % (d, p["version"]))
            debs.append(found[-1])
        if os.path.exists(root):
            shutil.rmtree(root)
        for deb in debs:
            r = run(["dpkg-deb", "-x", deb, root])
            if r.returncode != 0:
                raise PackageError("dpkg-deb -x %s failed" % deb)
        with open(marker, "w") as f:
            f.write(want)
    flags = [("-I" + os.path.join(root, f[2:])) if f.startswith("-I") else f
             for f in p["flags"]]
    entries = []
    for d, std, extra, excluded in p["parts"]:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, d)):
            dirnames.sort()
            for fn in sorted(filenames):
                f = os.path.join(dirpath, fn)
                if fn.endswith(".cpp") and not any(x in f for x in excluded):
                    entries.append(dict(
                        directory=dirpath, file=f,
                        arguments=["/usr/bin/c++", "-std=" + std] + flags + extra
                        + ["-I" + dirpath, "-c", f, "-o", "/dev/null"]))
    return root, entries


def make_db(name, pdir, raw, drop_args=()):
    """Deduplicated database (first command per file; bench.make_db's rule)
    in pdir/db, without the arguments in drop_args; entries whose file does
    not exist are dropped and returned."""
    seen = set()
    entries, missing = [], []
    for e in raw:
        f = os.path.normpath(os.path.join(e["directory"], e["file"]))
        if f in seen:
            continue
        seen.add(f)
        if not os.path.exists(f):
            missing.append(f)
            continue
        e = dict(e, file=f)
        if drop_args:
            args = bench.entry_args(e)
            if any(x in drop_args for x in args):
                e.pop("command", None)
                e["arguments"] = [x for x in args if x not in drop_args]
        entries.append(e)
    dbdir = os.path.join(pdir, "db")
    os.makedirs(dbdir, exist_ok=True)
    tmp = os.path.join(dbdir, "compile_commands.json.tmp")
    with open(tmp, "w") as f:
        json.dump(entries, f, indent=1)
    os.replace(tmp, os.path.join(dbdir, "compile_commands.json"))
    return dbdir, entries, missing


def filter_tus(pdir, entries, regex):
    """The entries whose main source file's text matches regex, written as
    pdir/db/compile_commands.json in place of the whole database."""
    if regex is None:
        return entries
    rx = re.compile(regex)
    kept = []
    for e in entries:
        try:
            with open(e["file"], encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        if rx.search(text):
            kept.append(e)
    path = os.path.join(pdir, "db", "compile_commands.json")
    with open(path + ".tmp", "w") as f:
        json.dump(kept, f, indent=1)
    os.replace(path + ".tmp", path)
    return kept


# ---------------------------------------------------------------------------
# Running threadleak and reading its report
# ---------------------------------------------------------------------------

def analyse(name, pdir, dbdir, a, tl_sha):
    report = os.path.join(pdir, "threadleak.json")
    errf = os.path.join(pdir, "threadleak.stderr")
    stampf = os.path.join(pdir, "threadleak.stamp.json")
    cmd = [a.threadleak, "-p", dbdir, "-j", str(a.jobs), "--tu-timeout=%d" % a.tu_timeout,
           "--format=json", "-o", report, "--no-cache", "--project-root=" + pdir]
    cmd += ["--extra-arg=" + x for x in a.extra_arg]
    if a.checks:
        cmd.append("--checks=" + a.checks)
    key = dict(threadleak=tl_sha, db=sha256(os.path.join(dbdir, "compile_commands.json")),
               cmd=cmd[1:])
    if a.reuse and os.path.exists(report) and os.path.exists(stampf):
        st = json.load(open(stampf))
        if st.get("key") == key:
            log("%s: reusing %s (same binary, database and options)" % (name, report))
            return json.load(open(report)), st["seconds"], st["exit"], True
    if os.path.exists(stampf):
        os.remove(stampf)
    t0 = time.monotonic()
    with open(errf, "w") as err:
        r = run(cmd, cwd=pdir, stdout=subprocess.DEVNULL, stderr=err)
    seconds = time.monotonic() - t0
    if r.returncode not in (0, 1, 3) or not os.path.exists(report):
        raise PackageError("threadleak exited %d without a report; see %s"
                           % (r.returncode, errf))
    with open(stampf, "w") as f:
        json.dump(dict(key=key, seconds=seconds, exit=r.returncode), f, indent=1)
    return json.load(open(report)), seconds, r.returncode, False


def classify(report):
    """Split a JSON report into findings, failures by kind, and the first
    compiler error per file."""
    res = dict(findings=[], crash=[], timeout=[], compile=[], other=[], errors={})
    for e in report:
        c = e["check"]
        if c == FAIL_CHECK:
            m = e["message"]
            if m.startswith("the analysis crashed") or "ended without a result" in m:
                res["crash"].append(e)
            elif m.startswith("exceeded --tu-timeout"):
                res["timeout"].append(e)
            elif m.startswith("failed to compile"):
                res["compile"].append(e)
            else:
                res["other"].append(e)
        elif c == COMPILE_CHECK or c.startswith("clang-diagnostic-"):
            # Compiler diagnostics (an -Werror=... or -pedantic-errors one is
            # clang-diagnostic-<group>), not findings.
            res["errors"].setdefault(e["file"], e)
        else:
            res["findings"].append(e)
    return res


def explain_compile_failures(pdir, entries, res):
    """For each TU that did not compile and has no compiler error of its own
    in the report (the error is in a header), the first error that
    `clang++-22 -fsyntax-only` prints for its command, with the include
    chain's first line. Cached in pdir/compile-errors.json."""
    cache_path = os.path.join(pdir, "compile-errors.json")
    try:
        cache = json.load(open(cache_path))
    except (OSError, ValueError):
        cache = {}
    by_file = {e["file"]: e for e in entries}
    out = {}
    for fail in res["compile"]:
        f = fail["file"]
        absf = os.path.normpath(os.path.join(pdir, f))
        e = by_file.get(absf)
        if e is None:
            continue
        args = bench.entry_args(e)
        key = hashlib.sha256(json.dumps(args).encode()).hexdigest()
        if f in cache and cache[f]["key"] == key:
            out[f] = cache[f]["error"]
            continue
        cc = shutil.which("clang-22" if absf.endswith(".c") else "clang++-22")
        if cc is None:
            continue
        cmd, skip = [cc], False
        for x in args[1:]:
            if skip:
                skip = False
            elif x == "-o":
                skip = True
            elif x != "-c":
                cmd.append(x)
        cmd += ["-fsyntax-only", "-ferror-limit=1", "-fno-color-diagnostics",
                "-Wno-unknown-warning-option", "-Qunused-arguments"]
        try:
            r = subprocess.run(cmd, cwd=e["directory"], capture_output=True, text=True,
                               timeout=300)
            lines = r.stderr.splitlines()
        except subprocess.TimeoutExpired:
            lines = []
        err = None
        for i, line in enumerate(lines):
            if ": error: " in line or ": fatal error: " in line:
                err = line
                inc = [x for x in lines[:i] if x.startswith("In file included from")]
                if inc:
                    err += " (" + inc[0].rstrip(":") + ")"
                break
        if err is not None:
            err = err.replace(pdir + os.sep, "")
        out[f] = err
        cache[f] = dict(key=key, error=err)
    with open(cache_path, "w") as fh:
        json.dump(cache, fh, indent=1, sort_keys=True)
    return out


def loc(e):
    return "%s:%d:%d" % (e["file"], e["line"], e["column"])


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------

def fmt_secs(s):
    return "%dm%02ds" % (int(s) // 60, int(s) % 60) if s is not None else "-"


def summary(rows, details, meta):
    out = []
    w = out.append
    w("# threadleak validation on Debian bookworm source packages")
    w("")
    w("threadleak: `%s` (sha256 %s), %s" % (meta["threadleak"], meta["sha"][:16], meta["version"]))
    w("")
    w("Enabled checks: %s" % ", ".join("`%s`" % c for c in meta["checks"]))
    w("")
    w("Command per package: `threadleak -p <work>/<package>/db -j%d --tu-timeout=%d "
      "--format=json -o <work>/<package>/threadleak.json --no-cache --project-root=<work>/<package>%s%s`"
      % (meta["jobs"], meta["tu_timeout"],
         "".join(" --extra-arg=" + x for x in meta["extra_arg"]),
         " --checks=" + meta["checks_glob"] if meta.get("checks_glob") else ""))
    w("")
    filt = meta.get("tu_filter")
    if filt is not None:
        w("TU filter: only the units whose main source file matches `%s` "
          "(column \"all TUs\": the whole deduplicated database)." % filt)
        w("")
        w("| package | version | all TUs | TUs | crashes | timeouts | did not compile | other failures | findings | wall time |")
        w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    else:
        w("| package | version | TUs | crashes | timeouts | did not compile | other failures | findings | wall time |")
        w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    allcol = lambda v: ("%s | " % v) if filt is not None else ""
    tot = dict(all_tus=0, tus=0, crash=0, timeout=0, compile=0, other=0, findings=0, secs=0.0)
    for r in rows:
        if r.get("error"):
            w("| %s | %s | %s- | - | - | - | - | - | not run: %s |"
              % (r["name"], r["version"], allcol("-"), r["error"].replace("|", "\\|")))
            continue
        w("| %s | %s | %s%d | %d | %d | %d | %d | %d | %s%s |"
          % (r["name"], r["version"], allcol(r["all_tus"]), r["tus"], r["crash"], r["timeout"], r["compile"],
             r["other"], r["findings"], fmt_secs(r["secs"]), " (reused)" if r["reused"] else ""))
        for k in tot:
            tot[k] += r[k]
    w("| **total** | | %s**%d** | **%d** | **%d** | **%d** | **%d** | **%d** | %s |"
      % (allcol("**%d**" % tot["all_tus"]), tot["tus"], tot["crash"], tot["timeout"], tot["compile"], tot["other"],
         tot["findings"], fmt_secs(tot["secs"])))
    w("")
    if filt is None:
        w("TUs = unique files in the deduplicated database, all analysed. Paths below are "
          "relative to `<work>/<package>/`.")
    else:
        w("TUs = the units of the deduplicated database that --tu-filter kept, all analysed. "
          "Paths below are relative to `<work>/<package>/`.")
    for r in rows:
        if r.get("missing"):
            w("")
            w("%s: %d database entries name files that do not exist (generated at build "
              "time) and were left out: %s" % (r["name"], len(r["missing"]),
                                               ", ".join(r["missing"][:10])
                                               + (" ..." if len(r["missing"]) > 10 else "")))

    def section(title, key, with_error=False):
        items = [(r["name"], e) for r in rows if not r.get("error") for e in details[r["name"]][key]]
        w("")
        w("## %s (%d)" % (title, len(items)))
        w("")
        if not items:
            w("None.")
            return
        for pkg, e in items:
            line = "- %s: `%s`: %s" % (pkg, e["file"], e["message"])
            if with_error:
                err = details[pkg]["errors"].get(e["file"])
                why = details[pkg]["explained"].get(e["file"])
                if err is not None:
                    line += " — first error: `%s`: %s" % (loc(err), err["message"])
                elif why:
                    line += " — clang++-22 -fsyntax-only: `%s`" % why
            w(line)

    section("Crashes", "crash")
    section("Timeouts", "timeout")
    section("Other failures", "other")
    section("Did not compile (environment, not tool bugs)", "compile", with_error=True)
    # Compiler errors in headers, not attributable by file name to a failed TU.
    extra = []
    for r in rows:
        if r.get("error"):
            continue
        tus = {e["file"] for e in details[r["name"]]["compile"]}
        for f, err in sorted(details[r["name"]]["errors"].items()):
            if f not in tus:
                extra.append((r["name"], err))
    if extra:
        w("")
        w("First compiler errors located in other files (headers):")
        w("")
        for pkg, err in extra:
            w("- %s: `%s`: %s" % (pkg, loc(err), err["message"]))

    items = [(r["name"], e) for r in rows if not r.get("error") for e in details[r["name"]]["findings"]]
    w("")
    w("## Findings (%d)" % len(items))
    w("")
    if not items:
        w("None.")
    for i, (pkg, e) in enumerate(items, 1):
        w("%d. %s: `%s:%d` %s: %s" % (i, pkg, e["file"], e["line"], e["check"], e["message"]))
        for n in e.get("notes", []):
            w("   - note: `%s:%d`: %s" % (n["file"], n["line"], n["message"]))
    return "\n".join(out) + "\n"


def tool_info(path, checks_glob=None):
    v = subprocess.run([path, "--version"], capture_output=True, text=True)
    version = " ".join((v.stdout + v.stderr).split())[:120]
    lc = subprocess.run([path, "--list-checks"]
                        + (["--checks=" + checks_glob] if checks_glob else []),
                        capture_output=True, text=True)
    checks = sorted(set(t for t in (lc.stdout + lc.stderr).replace("threadleak:", " threadleak:").split()
                        if t.startswith("threadleak-")))
    return version, checks


def main():
    ap = argparse.ArgumentParser(
        description="threadleak on Debian source packages: crashes, timeouts, findings.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="packages: " + ", ".join("%s %s" % (n, PACKAGES[n]["version"]) for n in ORDER))
    ap.add_argument("--threadleak", default=os.path.join(REPO_DIR, "build", "bin", "threadleak"),
                    help="the binary to validate (default: build/bin/threadleak)")
    ap.add_argument("--only", help="comma-separated packages (default: all)")
    ap.add_argument("--no-fetch", action="store_true",
                    help="do not touch apt or the network; use what is in --work")
    ap.add_argument("--work", default=os.path.join(BENCH_DIR, "work"),
                    help="where sources, databases and reports go (default: bench/work)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="threadleak -j (default: 2)")
    ap.add_argument("--tu-timeout", type=int, default=300, help="seconds (default: 300)")
    ap.add_argument("--extra-arg", action="append", default=[],
                    help="passed on as threadleak --extra-arg (repeatable)")
    ap.add_argument("--checks", metavar="GLOB",
                    help="passed on as threadleak --checks=GLOB, e.g. "
                         "'-*,threadleak-cv-lost-wakeup' (default: all checks)")
    ap.add_argument("--tu-filter", metavar="REGEX",
                    help="analyse only the units whose main source file's text matches "
                         "REGEX (re.search), e.g. 'notify_one|notify_all|pthread_cond_'")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse a package's report if the binary, database and options "
                         "are unchanged (to finish an interrupted run)")
    ap.add_argument("--summary", help="markdown summary path "
                                      "(default: <work>/validation-summary.md)")
    a = ap.parse_args()

    names = ORDER
    if a.only:
        names = [n.strip() for n in a.only.split(",") if n.strip()]
        bad = [n for n in names if n not in PACKAGES]
        if bad:
            bench.die("unknown package(s) %s; known: %s" % (", ".join(bad), ", ".join(ORDER)))
    a.threadleak = os.path.abspath(a.threadleak)
    if not os.access(a.threadleak, os.X_OK):
        bench.die("no threadleak binary at " + a.threadleak)
    a.work = os.path.abspath(a.work)
    os.makedirs(a.work, exist_ok=True)
    if not a.no_fetch:
        ensure_prerequisites(names)

    tl_sha = sha256(a.threadleak)
    version, checks = tool_info(a.threadleak, a.checks)
    meta = dict(threadleak=a.threadleak, sha=tl_sha, version=version, checks=checks,
                jobs=a.jobs, tu_timeout=a.tu_timeout, extra_arg=a.extra_arg,
                checks_glob=a.checks, tu_filter=a.tu_filter)
    rows, details = [], {}
    t_all = time.monotonic()
    for name in names:
        p = PACKAGES[name]
        pdir = os.path.join(a.work, name)
        os.makedirs(pdir, exist_ok=True)
        row = dict(name=name, version=p["version"])
        log("== %s %s" % (name, p["version"]))
        try:
            prep = {"synth": prepare_synth, "debs": prepare_debs}.get(p["kind"], prepare_cmake)
            _, raw = prep(name, p, pdir, not a.no_fetch)
            dbdir, entries, missing = make_db(name, pdir, raw, p.get("drop_args", ()))
            all_tus = len(entries)
            entries = filter_tus(pdir, entries, a.tu_filter)
            log("%s: %d translation units (%d database entries%s)"
                % (name, len(entries), len(raw),
                   "" if a.tu_filter is None else ", %d before --tu-filter" % all_tus))
            if not entries:
                row.update(tus=0, all_tus=all_tus, missing=[], secs=0.0, exit=0, reused=False,
                           findings=0, crash=0, timeout=0, compile=0, other=0)
                details[name] = dict(findings=[], crash=[], timeout=[], compile=[], other=[],
                                     errors={}, explained={})
                rows.append(row)
                log("%s: no unit matches --tu-filter; nothing to analyse" % name)
                continue
            report, secs, code, reused = analyse(name, pdir, dbdir, a, tl_sha)
        except PackageError as ex:
            log("%s: error: %s" % (name, ex))
            row["error"] = str(ex)
            rows.append(row)
            continue
        res = classify(report)
        key = lambda e: (e["file"], e["line"], e["column"], e["check"], e["message"])
        for k in ("findings", "crash", "timeout", "compile", "other"):
            res[k].sort(key=key)
        res["explained"] = explain_compile_failures(pdir, entries, res)
        details[name] = res
        row.update(tus=len(entries), all_tus=all_tus, missing=[os.path.relpath(m, pdir) for m in missing],
                   secs=secs, exit=code, reused=reused,
                   **{k: len(res[k]) for k in ("findings", "crash", "timeout", "compile", "other")})
        rows.append(row)
        log("%s: %d TUs, %d crashes, %d timeouts, %d did not compile, %d findings, %s"
            % (name, row["tus"], row["crash"], row["timeout"], row["compile"], row["findings"],
               fmt_secs(secs)))
        # Rewritten after each package, so an interrupted run leaves what it finished.
        text = summary(rows, details, meta)
        path = a.summary or os.path.join(a.work, "validation-summary.md")
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    text = summary(rows, details, meta)
    path = a.summary or os.path.join(a.work, "validation-summary.md")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    print()
    print(text, end="")
    log("total wall time %s; summary in %s" % (fmt_secs(time.monotonic() - t_all), path))
    bad = any(r.get("error") or r.get("crash") or r.get("timeout") for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
