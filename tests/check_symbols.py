#!/usr/bin/env python3
"""The exported symbols, the version script and the header must agree.

Usage: check_symbols.py libci.h libci.map libci.so   (prints TAP)
"""
import re
import subprocess
import sys

header, mapfile, lib = sys.argv[1:4]

with open(header, encoding="utf-8") as f:
    text = f.read()
# Declarations are the names right before '(' on CI_API lines.
declared = set(re.findall(r"CI_API\s+[^;(]*?\b(ci_\w+)\s*\(", text, re.S))

with open(mapfile, encoding="utf-8") as f:
    mtext = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
listed = set(re.findall(r"^\s*(ci_\w+)\s*;", mtext, re.M))
nodes = re.findall(r"^(LIBCI_[\d.]+)\s*\{", mtext, re.M)

out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                     check=True).stdout
exported = set()
other = []
for line in out.splitlines():
    parts = line.split()
    if len(parts) < 3:
        continue
    name = parts[2].split("@")[0]
    if parts[1] in "TDBRVW" and name.startswith("ci_"):
        exported.add(name)
    elif not name.startswith("LIBCI_"):
        other.append(name)

checks = [
    ("header declares at least one symbol", bool(declared), ""),
    ("version script has one node per release", bool(nodes) and len(nodes) == len(set(nodes)),
     str(nodes)),
    ("header == version script", declared == listed,
     "only in header: %s; only in map: %s" % (sorted(declared - listed), sorted(listed - declared))),
    ("version script == exported", listed == exported,
     "only in map: %s; only exported: %s" % (sorted(listed - exported), sorted(exported - listed))),
    ("nothing but ci_ symbols exported", not other, str(other)),
]
print("1..%d" % len(checks))
failed = 0
for i, (name, ok, detail) in enumerate(checks, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    if not ok:
        failed += 1
        print("# " + detail)
print("# %d exported ci_ symbols" % len(exported))
sys.exit(1 if failed else 0)
