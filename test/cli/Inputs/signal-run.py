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
# lit's workers ignore SIGINT, and an ignored signal stays ignored across
# exec: give the command the default disposition, as a terminal would.
proc = subprocess.Popen(sys.argv[3:], stderr=subprocess.PIPE, text=True,
                        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
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
