"""fuzz-regressions.test.py DIR: write the deeply nested inputs."""
import os, sys

d = sys.argv[1]
n = 100000
files = {
    "deep.json": "[" * n + "]" * n,
    "deep-bom.json": "\ufeff" + "[" * n + "]" * n,
    "deep-object.json": '{"a":' * n + "1" + "}" * n,
    "deep-flow.yaml": "Model:\n  Channels: " + "[" * n + "]" * n + "\n",
    "deep-block.yaml": "Model:\n  Channels: " + "- " * n + "1\n",
    "deep-indent.yaml": "".join(" " * i + "a%d:\n" % i for i in range(1500)),
}
for name, text in files.items():
    open(os.path.join(d, name), "w", encoding="utf-8").write(text)
