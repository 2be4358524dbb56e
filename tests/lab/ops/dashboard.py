#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""deploy/grafana/exitgate.json against a running node's metrics and a real Prometheus.

usage: dashboard.py names DASHBOARD EXPOSITION   every metric a query names is one exitgated
                                                 exposes (its # TYPE lines), and the five
                                                 panels the dashboard promises are there
       dashboard.py query DASHBOARD PROM_URL     every query runs on Prometheus and returns data
       dashboard.py render DASHBOARD PROM_URL OUT.html [SECONDS]
                                                 the dashboard's panels as Grafana lays them
                                                 out, drawn from Prometheus's query_range
                                                 answers for the last SECONDS (default 120):
                                                 a page for headless chromium to screenshot,
                                                 since no Grafana is packaged for Debian
Prints one line per check and exits 1 on any failure.
"""
import html
import json
import re
import sys
import time
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


COLOURS = ("#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9",
           "#fade2a", "#ff9830", "#96d98d")
UNITS = {"bps": (("Gb/s", 1e9), ("Mb/s", 1e6), ("kb/s", 1e3), ("b/s", 1)),
         "pps": (("kp/s", 1e3), ("p/s", 1)), "ops": (("k/s", 1e3), ("/s", 1)),
         "s": (("s", 1), ("ms", 1e-3), ("us", 1e-6)), "short": (("k", 1e3), ("", 1))}


def query_range(prom, expr, seconds):
    end = time.time()
    params = {"query": expr, "start": end - seconds, "end": end, "step": max(1, seconds // 120)}
    url = prom + "/api/v1/query_range?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as reply:
        return json.load(reply)["data"]["result"]


def legend(fmt, labels):
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt).strip()


def scaled(value, unit):
    for suffix, factor in UNITS.get(unit, (("", 1),)):
        if abs(value) >= factor or factor == UNITS.get(unit, (("", 1),))[-1][1]:
            return f"{value / factor:.3g} {suffix}".strip()
    return f"{value:.3g}"


def panel_svg(panel, series, width, height, t0, t1):
    """One time-series panel: title, axes, lines, and a legend of the series that moved."""
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
    plot_w, plot_h, left, top = width - 90, height - 150, 70, 34
    top_value = max([v for _, points in series for _, v in points] + [0]) or 1.0
    out = [f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
           f'<rect width="{width}" height="{height}" rx="4" fill="#181b1f" stroke="#2c3235"/>',
           f'<text x="12" y="22" fill="#ccccdc" font-size="14" font-weight="600">'
           f'{html.escape(panel["title"])}</text>']
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y}" y2="{y}" stroke="#2c3235"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4}" fill="#8e8e8e" font-size="10" '
                   f'text-anchor="end">{html.escape(scaled(top_value * i / 4, unit))}</text>')
    for i in range(4):
        t = t0 + (t1 - t0) * i / 3
        x = left + plot_w * i / 3
        anchor = ("start", "middle", "middle", "end")[i]
        out.append(f'<text x="{x}" y="{top + plot_h + 14}" fill="#8e8e8e" font-size="10" '
                   f'text-anchor="{anchor}">{time.strftime("%H:%M:%S", time.localtime(t))}</text>')
    shown, quiet = [], 0
    for name, points in series:
        if not any(v for _, v in points):
            quiet += 1
            continue
        colour = COLOURS[len(shown) % len(COLOURS)]
        path = " ".join(f"{left + plot_w * (t - t0) / max(1, t1 - t0):.1f},"
                        f"{top + plot_h - plot_h * v / top_value:.1f}" for t, v in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
        shown.append((name, colour, points[-1][1]))
    y = top + plot_h + 32
    for i, (name, colour, last) in enumerate(shown[:8]):
        x = 12 + (i % 2) * (width // 2)
        if i and i % 2 == 0:
            y += 16
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="4" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="{y}" fill="#ccccdc" font-size="11">'
                   f'{html.escape(name)}: {html.escape(scaled(last, unit))}</text>')
    more = len(shown) - 8 if len(shown) > 8 else 0
    notes = ([f"{more} more series"] if more else []) + \
        ([f"{quiet} series at 0 all along not drawn"] if quiet else [])
    if notes:
        out.append(f'<text x="12" y="{height - 10}" fill="#8e8e8e" font-size="10">'
                   f'{"; ".join(notes)}</text>')
    out.append("</svg>")
    return "".join(out)


def render(dashboard, prom, out_path, seconds):
    t1 = time.time()
    t0 = t1 - seconds
    cell_w, cell_h = 600 // 12, 290 // 8  # Grafana's grid: 24 columns, rows of 8 units here
    blocks, bottom = [], 0
    for panel in dashboard["panels"]:
        series = []
        for target in panel["targets"]:
            for r in query_range(prom, concrete(target["expr"]), seconds):
                points = [(float(t), float(v)) for t, v in r["values"]
                          if v not in ("NaN", "+Inf", "-Inf")]
                if points:
                    series.append((legend(target.get("legendFormat", ""), r["metric"]), points))
        g = panel["gridPos"]
        x, y, w, h = g["x"] * cell_w, g["y"] * cell_h, g["w"] * cell_w, g["h"] * cell_h
        bottom = max(bottom, y + h)
        blocks.append(f'<div style="position:absolute;left:{x + 8}px;top:{y + 48}px">'
                      f'{panel_svg(panel, series, w - 8, h - 8, t0, t1)}</div>')
    title = html.escape(dashboard["title"])
    page = ('<!doctype html><html><head><meta charset="utf-8"><title>' + title + '</title>'
            '<style>body{margin:0;background:#111217;font-family:DejaVu Sans,sans-serif}</style>'
            '</head><body><div style="position:relative;width:1216px;height:'
            + str(bottom + 56) + 'px"><div style="position:absolute;left:12px;top:12px;'
            'color:#ccccdc;font-size:18px">' + title + ' &middot; deploy/grafana/exitgate.json '
            '&middot; last ' + str(seconds) + ' s of the metrics lab, from Prometheus</div>'
            + "".join(blocks) + "</div></body></html>")
    open(out_path, "w", encoding="utf-8").write(page)
    return bottom + 56


def main():
    verb, path, where = sys.argv[1:4]
    dashboard = json.load(open(path, encoding="utf-8"))
    if verb == "names":
        return 1 if check_names(dashboard, where) else 0
    if verb == "query":
        return 1 if check_queries(dashboard, where) else 0
    if verb == "render":
        seconds = int(sys.argv[5]) if len(sys.argv) > 5 else 120
        print(render(dashboard, where, sys.argv[4], seconds))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
