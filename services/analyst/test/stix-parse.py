"""Parses a STIX 2.1 bundle (stdin) with the stock stix2 library, strict (no custom properties), and prints what it holds."""
import json
import sys

import stix2

bundle = stix2.parse(sys.stdin.read(), allow_custom=False, version="2.1")
out = {"indicators": [], "relationships": []}
for o in bundle.objects:
    if o.type == "indicator":
        out["indicators"].append({"pattern": o.pattern, "types": list(o.indicator_types)})
    elif o.type == "relationship":
        out["relationships"].append([o.source_ref, o.relationship_type, o.target_ref])
print(json.dumps(out))
