"""long-lines.test.py FILE N: write N detached-thread spawns on line 3.
long-lines.test.py --check-carets OUT SOURCE: count the locations of the text
report on line 3 whose caret points at the column the location names."""
import re, sys

if sys.argv[1] == "--check-carets":
    out = open(sys.argv[2]).read().split("\n")
    src = open(sys.argv[3]).read().split("\n")[2]
    total = right = 0
    for i, line in enumerate(out):
        m = re.match(r".*long\.cpp:3:(\d+): (warning|note):", line)
        if not m:
            continue
        col = int(m.group(1))
        excerpt, caret = out[i + 1], out[i + 2]
        total += 1
        cut = excerpt.startswith("...")
        shown = excerpt[3:] if cut else excerpt
        if shown.endswith("..."):
            shown = shown[:-3]
        start = src.find(shown)
        offset = caret.index("^") - (3 if cut else 0)
        if start >= 0 and start + offset == col - 1:
            right += 1
    print("%d carets, %d right" % (total, right))
    sys.exit(0)

path, n = sys.argv[1], int(sys.argv[2])
body = " ".join("void f%d() { std::thread([] { for (;;) work(); }).detach(); }" % i
                for i in range(n))
open(path, "w").write("#include <thread>\nvoid work();\n" + body + "\n")
