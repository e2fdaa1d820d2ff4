#!/usr/bin/env python3
"""Prints a threadleak SARIF report's results as GitHub workflow annotations.

    sarif-annotations.py REPORT.sarif WORKSPACE

One `::warning file=<path>,line=<n>,col=<c>,title=<check>::<message>` per
result, the path relative to WORKSPACE (the repository's checkout), as
GitHub needs it. Used by run-threadleak.sh when the report is not uploaded
to code scanning.
"""
import json
import os
import sys
from urllib.parse import unquote, urlparse


def escape_data(text):
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text):
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: sarif-annotations.py REPORT.sarif WORKSPACE")
    with open(sys.argv[1], encoding="utf-8") as f:
        log = json.load(f)
    workspace = os.path.realpath(sys.argv[2])
    for run in log.get("runs", []):
        bases = {name: unquote(urlparse(base.get("uri", "")).path)
                 for name, base in run.get("originalUriBaseIds", {}).items()}
        for result in run.get("results", []):
            loc = result["locations"][0]["physicalLocation"]
            art = loc["artifactLocation"]
            path = unquote(urlparse(art["uri"]).path)
            if "uriBaseId" in art:
                path = os.path.join(bases.get(art["uriBaseId"], ""), path)
            path = os.path.realpath(path)
            if path.startswith(workspace + os.sep):
                path = os.path.relpath(path, workspace)
            props = ["file=" + escape_property(path)]
            region = loc.get("region", {})
            if "startLine" in region:
                props.append("line=%d" % region["startLine"])
            if "startColumn" in region:
                props.append("col=%d" % region["startColumn"])
            props.append("title=" + escape_property(result["ruleId"]))
            print("::warning %s::%s" % (",".join(props),
                                        escape_data(result["message"]["text"])))


if __name__ == "__main__":
    main()
