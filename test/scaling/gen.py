#!/usr/bin/env python3
"""gen.py KIND N: writes a C++ translation unit that stresses the analysis.

  chain N      a detached thread whose body starts a chain of N calls, each
               function looping over the next call (exit summaries, loop
               search depth)
  nesting N    N nested loops and ifs in a detached thread's body
  huge N       one detached thread body with N statements and branches (a CFG
               far beyond the per-function budget)
  recursion N  N mutually recursive functions, each with a loop, detached
  family N     N functions, each spawning a detached thread that loops
               forever: findings grow linearly with N
"""
import sys

kind, n = sys.argv[1], int(sys.argv[2])
out = ["#include <thread>", "void work();", "bool more();"]
if kind == "chain":
    out.append("void f%d() { for (;;) work(); }" % n)
    for i in range(n - 1, -1, -1):
        out.append("void f%d() { while (more()) f%d(); }" % (i, i + 1))
    out.append("void spawn() { std::thread(f0).detach(); }")
elif kind == "nesting":
    body = "work();"
    for i in range(n):
        body = ("for (;;) { %s }" if i % 2 else "if (more()) { %s }") % body
    out.append("void spawn() { std::thread([] { %s }).detach(); }" % body)
elif kind == "huge":
    stmts = "\n".join("    if (more()) work(); else { work(); work(); }" for _ in range(n))
    out.append("void spawn() { std::thread([] {\n  for (;;) {\n%s\n  }\n}).detach(); }" % stmts)
elif kind == "recursion":
    for i in range(n):
        out.append("void r%d();" % i)
    for i in range(n):
        out.append("void r%d() { for (int k = 0; k < 3; ++k) r%d(); }" % (i, (i + 1) % n))
    out.append("void spawn() { std::thread(r0).detach(); }")
elif kind == "family":
    for i in range(n):
        out.append("void spawn%d() { std::thread([] { for (;;) work(); }).detach(); }" % i)
else:
    sys.exit("unknown kind " + kind)
print("\n".join(out))
