"""Reads the Repute TAXII server with the stock taxii2-client, printing what it saw as JSON."""
import json
import sys

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
print(json.dumps(out))
