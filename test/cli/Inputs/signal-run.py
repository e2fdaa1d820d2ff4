#!/usr/bin/env python3
"""signal-run.py SIGNAL DELAY CMD...: start CMD, send SIGNAL to it after DELAY
seconds, wait, and print its exit status and whether any of its workers
outlived it."""
import os
import signal
import subprocess
import sys
import time

sig = getattr(signal, sys.argv[1])
delay = float(sys.argv[2])
# lit's workers ignore SIGINT, a run under nohup ignores SIGHUP, and an
# ignored signal stays ignored across exec (threadleak leaves it so, on
# purpose): give the command the default disposition of the signal under
# test, as a terminal would.
def default_disposition():
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)


proc = subprocess.Popen(sys.argv[3:], stderr=subprocess.PIPE, text=True,
                        preexec_fn=default_disposition)
time.sleep(delay)
children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                          text=True).stdout.split()
proc.send_signal(sig)
_, err = proc.communicate()
sys.stderr.write(err)
print("workers while running:", "yes" if children else "no")
print("exit:", proc.returncode)
time.sleep(0.5)
alive = [c for c in children if os.path.exists("/proc/%s" % c)
         and "zombie" not in open("/proc/%s/status" % c).read()]
print("workers left:", len(alive))
for c in alive:
    os.kill(int(c), signal.SIGKILL)
