#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""config/schema.md, the loader and config/example.yaml describe the same keys.

usage: schema_sync.py SCHEMA.md EXAMPLE.yaml EXITGATED

1. Every key in schema.md's tables is printed by `exitgated --check-config` (the loader's
   tables know it) and every printed key is in schema.md (nothing undocumented).
2. Every key appears in example.yaml (as a key, or commented out where it excludes another).
"""
import re
import subprocess
import sys


ROLES = ("public", "egress", "inner")


def schema_keys(path):
    keys = []
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\| `([a-z0-9_.<>\[\]]+)` \|", line)
        if m:
            key = m.group(1).replace("[]", "")
            keys += [key.replace("<role>", role) for role in ROLES] if "<role>" in key else [key]
    return keys


def printed_keys(text):
    """Key paths of the printer's YAML: block maps, "- " items, two spaces per level."""
    keys, stack = [], []
    for line in text.splitlines():
        m = re.match(r"^( *)(- )?([a-z0-9_]+):", line)
        if not m:
            continue
        column = len(m.group(1)) + (2 if m.group(2) else 0)
        while stack and stack[-1][0] >= column:
            stack.pop()
        path = ".".join([name for _, name in stack] + [m.group(3)])
        keys.append(path)
        stack.append((column, m.group(3)))
    return keys


def main():
    schema_path, example_path, exitgated = sys.argv[1:4]
    failures = []
    documented = schema_keys(schema_path)
    if len(documented) < 50:
        failures.append(f"only {len(documented)} keys found in {schema_path}")
    run = subprocess.run([exitgated, "--check-config", example_path], capture_output=True,
                         text=True)
    if run.returncode != 0:
        print(run.stderr, end="")
        return 1
    printed = set(printed_keys(run.stdout))
    for key in documented:
        if key not in printed:
            failures.append(f"{key}: in schema.md but not printed by the loader")
    for key in sorted(printed):
        if key not in documented and not any(d.startswith(key + ".") for d in documented):
            failures.append(f"{key}: printed by the loader but not in schema.md")
    example = open(example_path, encoding="utf-8").read()
    for key in documented:
        name = key.split(".")[-1]
        if not re.search(r"(^|[\s{,#-])" + re.escape(name) + r":", example, re.M):
            failures.append(f"{key}: not in {example_path}")
    for failure in failures:
        print("FAIL:", failure)
    print(f"{len(documented)} keys in schema.md, {len(printed)} printed, "
          f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
