"""Reads the Repute TAXII server with the stock taxii2-client, printing what it saw as JSON."""
import json
import sys

import requests
from taxii2client import v20
from taxii2client.v21 import Server, as_pages

url, key = sys.argv[1], sys.argv[2]
server = Server(url, user="partner", password=key)
root = server.default
out = {"title": server.title, "api_roots": len(server.api_roots), "versions": root.versions, "collections": {}}
for c in root.collections:
    out["collections"][c.title] = c.id
files = next(c for c in root.collections if c.title == "Malicious file indicators")
whole = files.get_objects()
out["objects"] = [o["pattern"] for o in whole.get("objects", [])]
out["pages"] = []
for page in as_pages(files.get_objects, per_request=1):
    out["pages"].append([o["id"] for o in page.get("objects", [])])
out["after_last"] = files.get_objects(added_after=sys.argv[3]).get("objects", [])
out["manifest"] = [m["id"] for m in files.get_manifest().get("objects", [])]
first = whole["objects"][0]
out["object_versions"] = {"object": first["modified"], "listed": files.object_versions(first["id"]).get("versions", [])}
# The 2.0 client asks for version=2.0 in Accept: a 2.1-only server answers 406, not a 2.1 body.
try:
    out["v20_status"] = v20.Server(url, user="partner", password=key).title
except requests.exceptions.HTTPError as e:
    out["v20_status"] = e.response.status_code
except Exception as e:  # a 2.1 answer to a 2.0 request: the client rejects its media type
    out["v20_status"] = type(e).__name__
print(json.dumps(out))
