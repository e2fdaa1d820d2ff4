"""deep-ast.test.py DIR: write expr.cpp (a 50,000-term expression in a
detached thread's endless loop) and chain.cpp (a thread whose body calls
down a chain of 20,000 functions to an endless loop)."""
import os, sys

d = sys.argv[1]
terms = " + ".join(["a"] * 50000)
open(os.path.join(d, "expr.cpp"), "w").write(
    "#include <thread>\nvoid work(int);\nvoid f(int a) {\n"
    "  std::thread([a] { for (;;) work(" + terms + "); }).detach();\n}\n")
n = 20000
s = "#include <thread>\nvoid work();\nvoid g%d() { for (;;) work(); }\n" % n
for i in range(n - 1, -1, -1):
    s += "void g%d() { g%d(); }\n" % (i, i + 1)
s += "void f() { std::thread([] { g0(); }).detach(); }\n"
open(os.path.join(d, "chain.cpp"), "w").write(s)
