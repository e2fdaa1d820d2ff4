#!/usr/bin/env python3
"""Prints the parts of a SARIF log the tests check, one fact per line."""
import json
import sys

log = json.load(open(sys.argv[1]))
run = log["runs"][0]
print("automation", run.get("automationDetails", {}).get("id", "-"))
rules = run["tool"]["driver"]["rules"]
print("rules", " ".join(r["id"] for r in rules))
for r in rules:
    print("helpUri", r.get("helpUri", "-"))
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
inv = run["invocations"][0]
print("executionSuccessful", inv["executionSuccessful"])
for n in inv.get("toolExecutionNotifications", []):
    uri = n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] if n.get("locations") else "-"
    print("notification", uri, n["message"]["text"])
