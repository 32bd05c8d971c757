#!/usr/bin/env python3
"""Instructions and allocations per request from a callgrind profile (bench/profile_h2.sh).

    callgrind_counts.py PROFILE REQUESTS [LABEL] [--top N]

Allocations are calls to operator new plus calls to malloc/calloc/realloc: jemalloc's operator
new does not go through malloc, so the two add up. --top N lists the N functions that call an
allocator most (per request), which is where to look for allocations to remove.
"""
import argparse
import re


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("profile")
    ap.add_argument("requests", type=int)
    ap.add_argument("label", nargs="?", default="")
    ap.add_argument("--top", type=int, default=0)
    a = ap.parse_args()

    names = {}

    def name(spec):  # callgrind's name compression: "(id) name" the first time, "(id)" after
        m = re.match(r"\((\d+)\)(?: (.*))?", spec)
        if not m:
            return spec
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names[m.group(1)]

    def is_new(f):
        return f.startswith("operator new")

    def is_malloc(f):
        return re.fullmatch(r"(je_|__libc_)?(malloc|calloc|realloc)", f) is not None

    total, calls, by_caller = 0, {}, {}
    caller = callee = None
    with open(a.profile) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
            elif line.startswith("fn="):
                caller = name(line[3:].strip())
            elif line.startswith("cfn="):
                callee = name(line[4:].strip())
            elif line.startswith("calls=") and callee is not None:
                count = int(line[6:].split()[0])
                calls[callee] = calls.get(callee, 0) + count
                if (is_new(callee) or is_malloc(callee)) and not (is_new(caller) or is_malloc(caller)):
                    by_caller[caller] = by_caller.get(caller, 0) + count
    n = a.requests
    new = sum(c for f, c in calls.items() if is_new(f))
    mallocs = sum(c for f, c in calls.items() if is_malloc(f))
    print(f"{a.label}{': ' if a.label else ''}{n} requests, {total / n:,.0f} instructions/request, "
          f"{(new + mallocs) / n:.2f} allocations/request ({new / n:.2f} operator new, "
          f"{mallocs / n:.2f} malloc/calloc/realloc)")
    for f, c in sorted(by_caller.items(), key=lambda kv: -kv[1])[:a.top]:
        print(f"  {c / n:6.2f}  {f[:200]}")


if __name__ == "__main__":
    main()
