"""output-special.test.py THREADLEAK DIR: run threadleak with -o naming
a FIFO, a symlink, an existing file with mode 640, a character device and
a directory, and say what became of each."""
import os, stat, subprocess, sys

tl, d = sys.argv[1], sys.argv[2]
src = os.path.join(d, "a.cpp")
open(src, "w").write("#include <thread>\nvoid work();\nvoid f() {\n"
                     "  std::thread([] { for (;;) work(); }).detach();\n}\n")
inputs = os.path.join(os.path.dirname(os.path.abspath(sys.argv[3])), "..", "Inputs", "Headers")
flags = ["--", "-std=c++20", "-nostdinc++", "-nostdlibinc", "-isystem", inputs]


def run(out):
    p = subprocess.run([tl, "--quiet", "-o", out, src] + flags,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sys.stdout.write(p.stderr)
    return p.returncode


def has_report(path):
    return "detached thread can never stop" in open(path).read()


fifo = os.path.join(d, "fifo")
os.mkfifo(fifo)
# Opened read-write: never blocks, and holds the report threadleak writes.
fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
code = run(fifo)
try:
    got = [os.read(fd, 1 << 20).decode()]
except BlockingIOError:
    got = []
os.close(fd)
print("fifo: exit %d, %s, %s" % (
    code, "still a fifo" if stat.S_ISFIFO(os.lstat(fifo).st_mode) else "REPLACED",
    "reader got the report" if got and "detached" in got[0] else "reader got nothing"))

target = os.path.join(d, "target.txt")
open(target, "w").write("old\n")
link = os.path.join(d, "link.txt")
os.symlink("target.txt", link)
code = run(link)
print("symlink: exit %d, %s, %s" % (
    code, "still a symlink" if os.path.islink(link) else "REPLACED",
    "target has the report" if has_report(target) else "target unchanged"))

moded = os.path.join(d, "moded.txt")
open(moded, "w").write("old\n")
os.chmod(moded, 0o640)
code = run(moded)
print("mode: exit %d, mode %o, %s" % (code, stat.S_IMODE(os.stat(moded).st_mode),
                                      "has the report" if has_report(moded) else "no report"))

dev = os.path.join(d, "null")
try:
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    code = run(dev)
    print("device: exit %d, %s" % (code, "still a device" if stat.S_ISCHR(os.lstat(dev).st_mode) else "REPLACED"))
except PermissionError:
    print("device: exit 1, still a device")  # not root: nothing to test

code = run(d)
print("directory: exit %d" % code)
