#!/usr/bin/env python3
"""arg-from-file.py FILE CMD...: run CMD with each "@ARG@" in its arguments
replaced by FILE's content (lit's shell has no "$(cat FILE)"), and exit
with its status."""
import subprocess
import sys

text = open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read()
sys.exit(subprocess.run([a.replace("@ARG@", text) for a in sys.argv[2:]]).returncode)
