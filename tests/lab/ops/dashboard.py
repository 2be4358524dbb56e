#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""deploy/grafana/exitgate.json against a running node's metrics and a real Prometheus.

usage: dashboard.py names DASHBOARD EXPOSITION   every metric a query names is one exitgated
                                                 exposes (its # TYPE lines), and the five
                                                 panels the dashboard promises are there
       dashboard.py query DASHBOARD PROM_URL     every query runs on Prometheus and returns data
       dashboard.py graph-url DASHBOARD PROM_URL Prometheus's own graph page showing the same
                                                 panels (each panel's queries in one graph)
Prints one line per check and exits 1 on any failure.
"""
import json
import re
import sys
import urllib.parse
import urllib.request

PROMISED = ("throughput", "drops", "direct vs relayed", "handshake", "nat sessions")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def targets(dashboard):
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield panel, target


def concrete(expr):
    """The query as it runs for every node: the $instance variable is 'All'."""
    return expr.replace("$instance", ".*")


def metric_names(expr):
    return set(re.findall(r"\b(exitgate_[a-z0-9_]+)\b", expr))


def exposed_families(path):
    families = set()
    for line in open(path, encoding="utf-8"):
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            families.add(m.group(1))
    return families


def family_of(name, families):
    if name in families:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in families:
            return name[: -len(suffix)]
    return None


def check_names(dashboard, exposition):
    failures = 0
    families = exposed_families(exposition)
    titles = [p["title"].lower() for p in dashboard["panels"]]
    for promised in PROMISED:
        ok = any(promised in t for t in titles)
        print(f"{'ok  ' if ok else 'FAIL'} a panel for {promised}")
        failures += not ok
    seen = set()
    for _, target in targets(dashboard):
        for name in sorted(metric_names(target["expr"]) - seen):
            seen.add(name)
            ok = family_of(name, families) is not None
            print(f"{'ok  ' if ok else 'FAIL'} {name} is exposed by exitgated")
            failures += not ok
    if not seen:
        print("FAIL no query names an exitgate metric")
        failures += 1
    return failures


def query(prom, expr):
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as reply:
        return json.load(reply)


def check_queries(dashboard, prom):
    failures = 0
    for panel, target in targets(dashboard):
        expr = concrete(target["expr"])
        try:
            answer = query(prom, expr)
            ok = answer.get("status") == "success" and len(answer["data"]["result"]) > 0
            detail = f"{len(answer['data']['result'])} series"
        except Exception as e:  # an HTTP error is a failed check, with its reason
            ok, detail = False, str(e)
        print(f"{'ok  ' if ok else 'FAIL'} {panel['title']} / {target['refId']}: {detail}")
        failures += not ok
    return failures


def graph_url(dashboard, prom):
    params = {}
    for i, panel in enumerate(dashboard["panels"]):
        # a panel's queries in one graph, each series labelled with its query's legend
        parts = [
            'label_replace(%s, "query", "%s", "", "")'
            % (concrete(t["expr"]), re.sub(r"\{\{.*?\}\}", "", t["legendFormat"]).strip())
            for t in panel["targets"]
        ]
        params[f"g{i}.expr"] = " or ".join(parts)
        params[f"g{i}.tab"] = "0"
        params[f"g{i}.range_input"] = "5m"
        params[f"g{i}.show_exemplars"] = "0"
    return prom + "/graph?" + urllib.parse.urlencode(params)


def main():
    verb, path, where = sys.argv[1:4]
    dashboard = json.load(open(path, encoding="utf-8"))
    if verb == "names":
        return 1 if check_names(dashboard, where) else 0
    if verb == "query":
        return 1 if check_queries(dashboard, where) else 0
    if verb == "graph-url":
        print(graph_url(dashboard, where))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
