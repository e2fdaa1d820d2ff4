#!/usr/bin/env python3
"""validate.py SCHEMA LOG.sarif: validate a SARIF log against the schema
(draft-04, as python3-jsonschema implements it). Prints 'valid' or the first
errors and exits non-zero."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
validator = jsonschema.Draft4Validator(schema)
errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
for e in errors[:5]:
    print("invalid at /%s: %s" % ("/".join(map(str, e.path)), e.message))
print("valid" if not errors else "%d errors" % len(errors))
sys.exit(1 if errors else 0)
