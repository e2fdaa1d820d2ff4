#!/usr/bin/env python3
"""Prints the parts of a SARIF log the tests check, one fact per line.

    sarif-summary.py REPORT [--github]

--github adds what GitHub code scanning reads besides: the driver's
semanticVersion, each rule's help, tags and precision, each result's
primaryLocationLineHash and its code flow's messages in order.
"""
import json
import sys

github = "--github" in sys.argv[2:]
log = json.load(open(sys.argv[1]))
run = log["runs"][0]
print("automation", run.get("automationDetails", {}).get("id", "-"))
rules = run["tool"]["driver"]["rules"]
print("rules", " ".join(r["id"] for r in rules))
for r in rules:
    print("helpUri", r.get("helpUri", "-"))
if github:
    print("semanticVersion", run["tool"]["driver"].get("semanticVersion", "-"))
    for r in rules:
        props = r.get("properties", {})
        markdown = r.get("help", {}).get("markdown", "-")
        print("rule %s precision=%s tags=%s" % (r["id"], props.get("precision", "-"),
                                                ",".join(props.get("tags", []))))
        print("  help.text", r.get("help", {}).get("text", "-"))
        for line in markdown.splitlines():
            print("  help.markdown", line)
for res in run["results"]:
    loc = res["locations"][0]["physicalLocation"]
    art = loc["artifactLocation"]
    flows = res.get("codeFlows", [{"threadFlows": [{"locations": []}]}])
    print("result %s %s %s:%d:%d uriBaseId=%s related=%d flow=%d fingerprint=%s" % (
        res["ruleId"], res["level"], art["uri"], loc["region"]["startLine"],
        loc["region"]["startColumn"], art.get("uriBaseId", "-"),
        len(res.get("relatedLocations", [])),
        len(flows[0]["threadFlows"][0]["locations"]),
        res["partialFingerprints"]["threadleakFingerprint/v1"]))
    if github:
        print("  primaryLocationLineHash", res["partialFingerprints"].get("primaryLocationLineHash", "-"))
        for step in flows[0]["threadFlows"][0]["locations"]:
            l = step["location"]
            print("  flow %d: %s" % (l["physicalLocation"]["region"]["startLine"], l["message"]["text"]))
inv = run["invocations"][0]
print("executionSuccessful", inv["executionSuccessful"])
for n in inv.get("toolExecutionNotifications", []):
    uri = n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] if n.get("locations") else "-"
    print("notification", uri, n["message"]["text"])
