"""Render one self-contained HTML page: every style, script and graph inline.

The page loads nothing from the network: its Content-Security-Policy allows no source
but the inline style and script, so a browser blocks any request a report could cause.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from typing import Any

from coldstart import __version__
from coldstart.render.base import Renderer
from coldstart.render.flame_svg import ORIGIN_HUES, ORIGIN_LABELS, flame_svg, layout, used_origins
from coldstart.render.text import (
    PHASE_ROWS,
    format_bytes,
    format_ms,
    format_value,
    short_path,
    summary_rows,
)
from coldstart.render.trees import (
    FlameNode,
    cpu_caption,
    cpu_forest,
    forest_span,
    has_importlib,
    import_forest,
)

CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:")
DISTRIBUTION_PHASES = ("startup_ms", "import_ms", "init_ms", "first_invoke_ms",
                       "cold_start_ms", "warm_invoke_ms")
PHASE_KEYS = {key for key, _, _ in PHASE_ROWS}
TOP_ROWS = 15


def asset(name: str) -> str:
    return (resources.files("coldstart.render") / "assets" / name).read_text(encoding="utf-8")


def table(headers: list[str], rows: list[list[str]], numeric: set[int],
          strong_rows: set[int] | None = None) -> str:
    """Return an HTML table. Cells are HTML already, and columns in `numeric` align right."""
    head = "".join(
        f'<th class="num">{header}</th>' if index in numeric else f"<th>{header}</th>"
        for index, header in enumerate(headers)
    )
    body = []
    for row_index, row in enumerate(rows):
        cells = "".join(
            f'<td class="num">{cell}</td>' if index in numeric else f"<td>{cell}</td>"
            for index, cell in enumerate(row)
        )
        strong = ' class="strong"' if strong_rows and row_index in strong_rows else ""
        body.append(f"<tr{strong}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def not_measured(what: str, report: dict[str, Any]) -> str:
    if report.get("error"):
        reason = "the target failed before it could be measured"
    else:
        reason = "this report has timings only (profile without --timing-only to get it)"
    return f'<p class="empty">No {escape(what)}: {reason}.</p>'


def bar(share: float) -> str:
    width = max(0.0, min(share, 1.0)) * 120
    return f'<span class="bar" style="width:{width:.0f}px"></span>'


def header(report: dict[str, Any]) -> str:
    target = report.get("target") or {}
    environment = report.get("environment") or {}
    runs = report.get("runs") or []
    ok = sum(1 for run in runs if run.get("status") == "ok")
    facts = [
        f"handler {target.get('handler', '?')}",
        f"{environment.get('implementation', 'Python')} {environment.get('python_version', '?')}",
        f"{environment.get('memory_mb', '?')} MB",
        f"{ok}/{len(runs)} runs ok",
        f"{environment.get('cpu_model', '')} × {environment.get('cpu_count', '?')}",
        str(report.get("created", "")),
    ]
    meta = " · ".join(escape(str(fact)) for fact in facts if fact)
    label = escape(str(target.get("label") or target.get("handler") or "target"))
    return f"<header><h1>Cold start of <code>{label}</code></h1><p class='meta'>{meta}</p></header>"


def navigation(report: dict[str, Any]) -> str:
    links = [("summary", "Phases"), ("distribution", "Distribution"),
             ("findings", "Findings"), ("imports", "Imports"), ("cpu", "CPU"),
             ("allocations", "Allocations"), ("gc", "GC"), ("sources", "Sources")]
    if report.get("error") or failed_runs(report):
        links.insert(0, ("error", "Error"))
    return "<nav>" + "".join(f'<a href="#{anchor}">{name}</a>' for anchor, name in links) + "</nav>"


def failed_runs(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [run for run in report.get("runs") or [] if run.get("status") != "ok"]


def error_section(report: dict[str, Any]) -> str:
    failed = failed_runs(report)
    error = report.get("error") or next((run.get("error") for run in failed if run.get("error")),
                                        None)
    if not error:
        return ""
    total = len(report.get("runs") or [])
    parts = [
        "<section id='error' class='error'>",
        f"<h2>{escape(str(error.get('type', 'error')))} in phase "
        f"{escape(str(error.get('phase', '?')))}</h2>",
        f"<p class='lead'>{len(failed)} of {total} runs failed"
        + ("" if report.get("error") else "; the first failure is shown") + ".</p>",
        f"<p><code>{escape(str(error.get('message', '')))}</code></p>",
    ]
    if error.get("traceback"):
        parts.append(f"<h3>Traceback</h3><pre>{escape(str(error['traceback']).rstrip())}</pre>")
    for stream in ("stdout", "stderr"):
        tail = error.get(f"{stream}_tail")
        if tail:
            lines = "\n".join(str(line) for line in tail)
            parts.append(f"<h3>Last lines of the handler's {stream}</h3><pre>{escape(lines)}</pre>")
    parts.append("</section>")
    return "".join(parts)


def key_figures(report: dict[str, Any]) -> str:
    summary = report.get("summary") or {}
    cards = []
    for key, label, unit in (("init_ms", "init, median", "ms"),
                             ("cold_start_ms", "cold start, median", "ms"),
                             ("peak_rss_mib", "peak RSS, median", "MiB")):
        stats = summary.get(key)
        if stats:
            cards.append((f"{format_value(stats.get('median'), unit)} {unit}", label))
    modules = report.get("modules") or {}
    if modules.get("count_at_init") is not None:
        cards.append((str(modules["count_at_init"]), "modules loaded at init"))
    imports = report.get("imports") or {}
    if imports.get("total_ms") is not None:
        cards.append((f"{format_ms(imports['total_ms'])} ms", "in imports (importtime run)"))
    html = "".join(
        f"<div class='card'><div class='value'>{escape(value)}</div>"
        f"<div class='label'>{escape(label)}</div></div>"
        for value, label in cards
    )
    return f"<div class='cards'>{html}</div>" if cards else ""


COLD_START_PARTS = (
    ("startup_ms", "interpreter startup", "#94a3b8"),
    ("import_ms", "handler import", "#f59e0b"),
    ("first_invoke_ms", "first invoke", "#ea580c"),
)


def cold_start_bar(report: dict[str, Any]) -> str:
    """Draw the median cold start as one bar split into startup, import and first invoke."""
    summary = report.get("summary") or {}
    medians = [(label, colour, (summary.get(key) or {}).get("median"))
               for key, label, colour in COLD_START_PARTS]
    known = [(label, colour, value) for label, colour, value in medians
             if isinstance(value, (int, float)) and value > 0]
    total = sum(value for _, _, value in known)
    if not known or total <= 0:
        return ""
    segments = "".join(
        f"<div style='flex:{value / total:.4f} 1 0;background:{colour}' "
        f"title='{escape(label)}: {format_ms(value)} ms'></div>"
        for label, colour, value in known
    )
    keys = "".join(
        f"<span><i style='background:{colour}'></i>{escape(label)} {format_ms(value)} ms "
        f"({value / total:.0%})</span>"
        for label, colour, value in known
    )
    return (f"<div class='split'>{segments}</div><div class='legend'>{keys}</div>")


def summary_section(report: dict[str, Any]) -> str:
    summary = report.get("summary") or {}
    rows = []
    strong = set()
    for key, name, unit in summary_rows(summary):
        stats = summary[key]
        if key in ("init_ms", "cold_start_ms"):
            strong.add(len(rows))
        cells = [escape(name), str(stats.get("n", "-"))]
        cells += [format_value(stats.get(column), unit)
                  for column in ("median", "p95", "min", "max", "mean", "stdev")]
        rows.append([*cells, unit])
    parts = ["<section id='summary'><h2>Phases</h2>",
             "<p class='lead'>From the clean timing runs: no instrument but the clock marks. "
             "p95 is shown from 20 runs on.</p>", key_figures(report), cold_start_bar(report)]
    if rows:
        headers = ["phase", "n", "median", "p95", "min", "max", "mean", "stdev", "unit"]
        parts.append(table(headers, rows, numeric={1, 2, 3, 4, 5, 6, 7}, strong_rows=strong))
    else:
        parts.append("<p class='empty'>No run succeeded, so there are no phase figures.</p>")
    warnings = report.get("warnings") or []
    if warnings:
        items = "".join(f"<li>{escape(str(warning))}</li>" for warning in warnings)
        parts.append(f"<ul class='warnings'>{items}</ul>")
    parts.append("</section>")
    return "".join(parts)


def phase_values(report: dict[str, Any], key: str) -> list[float]:
    values: list[float] = []
    for run in report.get("runs") or []:
        if run.get("status") != "ok":
            continue
        value = run.get(key)
        candidates = value if isinstance(value, list) else [value]
        values.extend(float(item) for item in candidates if isinstance(item, (int, float)))
    return values


def strip_plot(values: list[float], median: float | None) -> str:
    """Draw one dot per value on a scale from the minimum to the maximum, median marked."""
    width, left, right = 1000.0, 8.0, 992.0
    low, high = min(values), max(values)
    spread = high - low or max(abs(high) * 0.05, 0.001)
    low, high = low - spread * 0.05, high + spread * 0.05

    def position(value: float) -> float:
        return left + (value - low) / (high - low) * (right - left)

    dots = "".join(
        f'<circle cx="{position(value):.1f}" cy="{10 + (index * 7) % 15:.0f}" r="4" '
        f'fill="#ea580c" fill-opacity="0.55"><title>{format_ms(value)} ms</title></circle>'
        for index, value in enumerate(values)
    )
    marker = ""
    if median is not None:
        x = position(median)
        marker = (f'<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="28" stroke="#1f2430" '
                  f'stroke-width="2"><title>median {format_ms(median)} ms</title></line>')
    labels = (f'<text x="{left}" y="42">{format_ms(min(values))} ms</text>'
              f'<text x="{right}" y="42" text-anchor="end">{format_ms(max(values))} ms</text>')
    # The median's label is left out where it would overwrite the minimum or maximum.
    if median is not None and left + 90 < position(median) < right - 90:
        labels += (f'<text x="{position(median):.1f}" y="42" text-anchor="middle">'
                   f"median {format_ms(median)}</text>")
    return (f'<svg viewBox="0 0 {width:.0f} 44" role="img">'
            f'<line x1="{left}" x2="{right}" y1="28" y2="28" stroke="#d0d4db"/>'
            f"{dots}{marker}{labels}</svg>")


def distribution_section(report: dict[str, Any]) -> str:
    rows = []
    summary = report.get("summary") or {}
    for key, name, unit in summary_rows(summary):
        # Figures other than the timing phases (RSS, GC) are left out, and so are extra
        # figures that are not times.
        if (key in PHASE_KEYS and key not in DISTRIBUTION_PHASES) or unit != "ms":
            continue
        values = phase_values(report, key)
        if not values:
            continue
        median = (summary.get(key) or {}).get("median")
        rows.append(f"<div class='name'>{escape(name)}</div>{strip_plot(values, median)}")
    parts = ["<section id='distribution'><h2>Run-time distribution</h2>",
             "<p class='lead'>One dot per successful run (warm invoke: one per call); "
             "the bar is the median. Each phase has its own scale.</p>"]
    if rows:
        parts.append(f"<div class='strip'>{''.join(rows)}</div>")
    else:
        parts.append("<p class='empty'>No successful run to plot.</p>")
    parts.append("</section>")
    return "".join(parts)


def legend(origins: set[str]) -> str:
    items = []
    for origin, (hue, saturation) in ORIGIN_HUES.items():
        if origin in origins:
            items.append(f"<span><i style='background:hsl({hue},{saturation}%,68%)'></i>"
                         f"{ORIGIN_LABELS[origin]}</span>")
    return f"<div class='legend'>{''.join(items)}</div>"


def flame_widget(forest: list[FlameNode], graph_id: str, flame: bool) -> str:
    svg = flame_svg(forest, graph_id, flame=flame)
    if not svg:
        return ""
    idle = "Hover a frame for its times; click it to zoom in; Escape or Reset zooms out."
    return (
        f"<div class='flame-widget' id='{graph_id}-widget'>"
        "<div class='toolbar'><button type='button' class='reset' disabled>Reset zoom</button>"
        "<input type='search' class='search' placeholder='Search frames' "
        "aria-label='Search frames'><span>Click a frame to zoom in</span></div>"
        f"{svg}<div class='details'>{idle}</div>"
        f"{legend(used_origins(layout(forest)))}</div>"
    )


def chain_text(row: dict[str, Any]) -> str:
    if row.get("chain"):
        return str(row["chain"])
    return " ← ".join([str(row.get("module", "?")), *map(str, row.get("imported_by") or [])])


def import_rows(top: list[dict[str, Any]]) -> str:
    rows = []
    for row in top[:TOP_ROWS]:
        cached = " (cached)" if row.get("cached") else ""
        rows.append([
            f"<code>{escape(str(row.get('module', '?')))}</code>",
            format_ms(row.get("cumulative_ms")), format_ms(row.get("self_ms")),
            f"<span class='nowrap'>{escape(str(row.get('origin', 'unknown')) + cached)}</span>",
            f"<span class='mono'>{escape(chain_text(row))}</span>",
        ])
    return table(["module", "cumulative ms", "self ms", "origin", "import chain"], rows,
                 numeric={1, 2})


def imports_section(report: dict[str, Any]) -> str:
    imports = report.get("imports")
    parts = ["<section id='imports'><h2>Imports at init</h2>"]
    forest = import_forest(imports)
    if not imports or not forest:
        parts.append(not_measured("import tree", report))
        return "".join(parts) + "</section>"
    parts.append(
        f"<p class='lead'>{imports.get('count', '?')} modules, "
        f"{format_ms(imports.get('total_ms'))} ms in imports, from one "
        f"{escape(str(imports.get('source', 'importtime run')))}. Width is cumulative time; "
        "each module sits under the one that imported it.</p>"
    )
    parts.append(flame_widget(forest, "imports-graph", flame=False))
    if imports.get("top"):
        parts.append("<h3>Costliest imports</h3>" + import_rows(imports["top"]))
    invoke = imports.get("invoke") or {}
    if invoke.get("top") or invoke.get("tree"):
        parts.append(
            f"<h3>Imported during the first invoke ({invoke.get('count', '?')} modules, "
            f"{format_ms(invoke.get('total_ms'))} ms, counted in the invoke)</h3>"
        )
        parts.append(flame_widget(import_forest(imports, phase="invoke"),
                                  "invoke-imports-graph", flame=False))
        parts.append(import_rows(invoke.get("top") or []))
    return "".join(parts) + "</section>"


def cpu_section(report: dict[str, Any]) -> str:
    hotspots = report.get("hotspots")
    parts = ["<section id='cpu'><h2>CPU hot spots</h2>"]
    root = (report.get("target") or {}).get("root")
    forest = cpu_forest(hotspots, root)
    if not hotspots or not (forest or hotspots.get("top")):
        parts.append(not_measured("CPU samples", report))
        return "".join(parts) + "</section>"
    collapsed = (" importlib's bootstrap frames are collapsed into one <code>importlib</code> "
                 "frame." if has_importlib(forest) else "")
    parts.append(
        f"<p class='lead'>{escape(cpu_caption(hotspots))}: {format_ms(forest_span(forest))} ms "
        f"sampled, root at the bottom, one root per phase.{collapsed}</p>"
    )
    parts.append(flame_widget(forest, "cpu-graph", flame=True))
    rows = [
        [f"<code>{escape(str(row.get('function', '?')))}</code>",
         f"<span class='mono'>{escape(short_path(row.get('file')))}:{row.get('line', '?')}</span>",
         format_ms(row.get("self_ms")), format_ms(row.get("total_ms"))]
        for row in (hotspots.get("top") or [])[:TOP_ROWS]
    ]
    if rows:
        parts.append("<h3>Top functions</h3>"
                     + table(["function", "file", "self ms", "total ms"], rows, numeric={2, 3}))
    return "".join(parts) + "</section>"


def allocation_tables(allocations: dict[str, Any]) -> list[str]:
    parts = []
    total = allocations.get("bytes") or 0
    packages = allocations.get("by_package") or []
    if packages:
        rows = [[f"<code>{escape(str(row.get('package', '?')))}</code>",
                 escape(str(row.get("origin", ""))), f"{row.get('blocks', '-')}",
                 bar((row.get("bytes") or 0) / total if total else 0)
                 + format_bytes(row.get("bytes"))]
                for row in packages[:TOP_ROWS]]
        parts.append("<h3>By package</h3>"
                     + table(["package", "origin", "blocks", "size"], rows, numeric={2, 3}))
    top = allocations.get("top") or []
    if top:
        rows = [[f"<span class='mono'>{escape(short_path(row.get('file')))}:"
                 f"{row.get('line', '?')}</span>", f"{row.get('blocks', '-')}",
                 format_bytes(row.get("bytes"))] for row in top[:TOP_ROWS]]
        parts.append("<h3>Top lines</h3>" + table(["line", "blocks", "size"], rows,
                                                   numeric={1, 2}))
    phases = allocations.get("phases") or {}
    if phases:
        rows = [[escape(name.replace("_", " ")), f"{phase.get('blocks', '-')}",
                 format_bytes(phase.get("bytes"))]
                for name, phase in phases.items() if isinstance(phase, dict)]
        parts.append("<h3>By phase</h3>" + table(["phase", "blocks", "size"], rows,
                                                 numeric={1, 2}))
    copies = allocations.get("copies") or []
    if copies:
        rows = [[f"<code>{escape(str(row.get('kind', '?')))}</code>",
                 escape(str(row.get("phase", "")).replace("_", " ")), f"{row.get('calls', '-')}",
                 format_bytes(row.get("bytes")), format_ms(row.get("ms"))] for row in copies]
        parts.append("<h3>Copies</h3>" + table(["kind", "phase", "calls", "size", "ms"], rows,
                                               numeric={2, 3, 4}))
    return parts


def allocations_section(report: dict[str, Any]) -> str:
    allocations = report.get("allocations")
    parts = ["<section id='allocations'><h2>Allocations</h2>"]
    if not allocations:
        parts.append(not_measured("allocation figures", report))
        return "".join(parts) + "</section>"
    parts.append(
        f"<p class='lead'>{format_bytes(allocations.get('bytes'))} in "
        f"{allocations.get('blocks', '?')} blocks allocated during init and still alive at "
        f"its end, from one {escape(str(allocations.get('source', 'tracemalloc run')))} "
        f"({allocations.get('frames', '?')} frame(s) per traceback).</p>"
    )
    parts.extend(allocation_tables(allocations))
    return "".join(parts) + "</section>"


def gc_section(report: dict[str, Any]) -> str:
    gc = report.get("gc")
    parts = ["<section id='gc'><h2>Garbage collection</h2>"]
    if not gc:
        parts.append(not_measured("GC figures", report))
        return "".join(parts) + "</section>"
    collections = gc.get("collections") or ["-", "-", "-"]
    parts.append(
        f"<p class='lead'>{'/'.join(map(str, collections))} collections (generation 0/1/2), "
        f"{format_ms(gc.get('pause_ms'))} ms paused, longest pause "
        f"{format_ms(gc.get('max_pause_ms'))} ms; {escape(str(gc.get('source', '')))}.</p>"
    )
    phases = gc.get("by_phase") or {}
    rows = [[escape(name.replace("_", " ")),
             "/".join(map(str, phase.get("collections") or [])),
             format_ms(phase.get("pause_ms")), format_ms(phase.get("max_pause_ms"))]
            for name, phase in phases.items() if isinstance(phase, dict)]
    if rows:
        parts.append(table(["phase", "collections", "pause ms", "longest ms"], rows,
                           numeric={2, 3}))
    return "".join(parts) + "</section>"


def findings_section(report: dict[str, Any]) -> str:
    findings = [item for item in report.get("findings") or [] if isinstance(item, dict)]
    parts = ["<section id='findings'><h2>Findings</h2>"]
    if not findings:
        parts.append("<p class='empty'>No findings.</p></section>")
        return "".join(parts)
    for finding in findings:
        severity = "warning" if finding.get("severity") == "warning" else "info"
        cost = finding.get("cost_ms")
        cost_text = f" · {format_ms(cost)} ms" if isinstance(cost, (int, float)) else ""
        parts.append(
            f"<div class='finding {severity}'><span class='badge {severity}'>{severity}</span> "
            f"<code>{escape(str(finding.get('kind', '')))}</code>{cost_text}"
            f"<div>{escape(str(finding.get('message', '')))}</div>"
            f"<div class='fix'>Fix: {escape(str(finding.get('fix', '')))}</div></div>"
        )
    return "".join(parts) + "</section>"


def sources_section(report: dict[str, Any]) -> str:
    """List the runs behind the figures: clean timing runs, then one run per instrument."""
    runs = report.get("runs") or []
    ok = sum(1 for run in runs if run.get("status") == "ok")
    rows = [["timing", f"{ok}/{len(runs)} runs ok", "clock marks only", "-"]]
    attribution = report.get("attribution") or {}
    for run in attribution.get("runs") or []:
        if not isinstance(run, dict):
            continue
        inflation = run.get("init_inflation")
        rows.append([
            escape(str(run.get("instrument", "?"))), escape(str(run.get("status", "?"))),
            f"init {format_ms(run.get('init_ms'))} ms",
            f"{inflation:.2f}x" if isinstance(inflation, (int, float)) else "-",
        ])
    notes = "".join(f"<li>{escape(str(note))}</li>" for note in attribution.get("notes") or [])
    return (
        "<section id='sources'><h2>Sources</h2><p class='lead'>Timings come only from "
        "clean runs; each attribution figure comes from its own run with one instrument. "
        "Inflation is that run's init over the clean median.</p>"
        + table(["run", "status", "measured", "init inflation"], rows, numeric={3})
        + (f"<ul class='warnings'>{notes}</ul>" if notes else "") + "</section>"
    )


class HtmlRenderer(Renderer):
    """One self-contained HTML page with every section of the report."""

    name = "html"
    suffixes = (".html", ".htm")

    def render(self, report: dict[str, Any]) -> str:
        label = (report.get("target") or {}).get("label") or "target"
        sections = [
            error_section(report), summary_section(report), distribution_section(report),
            findings_section(report), imports_section(report), cpu_section(report),
            allocations_section(report), gc_section(report), sources_section(report),
        ]
        footer = (f"coldstart {escape(__version__)} · report schema "
                  f"{escape(str(report.get('schema', '?')))} · created "
                  f"{escape(str(report.get('created', '?')))}")
        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>coldstart: {escape(str(label))}</title>"
            f"<style>{asset('report.css')}</style></head><body>"
            f"{header(report)}{navigation(report)}<main>{''.join(sections)}</main>"
            f"<footer>{footer}</footer><script>{asset('report.js')}</script></body></html>\n"
        )
