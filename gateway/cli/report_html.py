"""The compliance report as one self-contained HTML page, in Spanish, for the desk's managers
(`gateway report --format html`).

The page loads nothing from anywhere: the CSS is inline and the three charts (compliance per week, tickets by
channel, breaches by priority) are drawn here by matplotlib and inlined as SVG, their text as paths, so the file
reads the same mailed as an attachment or opened offline. Every text that comes from the data is escaped.
Percentages read "87,5 %", business times "1 h 30 min"; `ticketing.reports` says how each figure is counted.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from html import escape
from types import MappingProxyType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_date

from adapters.local_time import format_moment
from ticketing.reports import Compliance, Durations, Report, Which

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PRIORITIES = MappingProxyType(
    {"critical": "Crítico", "high": "Alto", "medium": "Medio", "low": "Bajo", "planned": "Planificado"}
)
CHANNELS = MappingProxyType(
    {"email": "Correo", "whatsapp": "WhatsApp", "slack": "Slack", "web": "Formulario web", "phone": "Teléfono"}
)
_WHICH: tuple[Which, Which] = ("response", "resolution")
RESPONSE, RESOLUTION, VOLUME, BREACH, MUTED = "#1d4ed8", "#ea580c", "#0f766e", "#b91c1c", "#6b7280"
CSS = """
body{margin:0;background:#f3f4f6;color:#111827;font:15px/1.45 system-ui,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:28px 24px 40px}h1{font-size:26px;margin:0 0 6px}
.meta{color:#4b5563;margin:0 0 22px}.meta b{color:#111827;font-weight:600}footer{color:#6b7280;font-size:12.5px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:18px}h2{font-size:17px;margin:0 0 12px}
.card,.panel{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:14px 16px}.panel{margin-bottom:18px}
.card .label{color:#4b5563;font-size:13px}.card .value{font-size:26px;font-weight:700;white-space:nowrap}
.card .note{color:#6b7280;font-size:12.5px}svg.chart{display:block;width:100%;height:auto}
.row,.row3{display:grid;grid-template-columns:1fr 1fr;gap:18px}.row3{grid-template-columns:repeat(3,1fr)}
table{border-collapse:collapse;width:100%;font-size:14px}th:first-child,td:first-child{text-align:left;white-space:normal}
th,td{padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:right;white-space:nowrap}
thead th{color:#374151;font-weight:600;background:#f9fafb}th[colspan]{text-align:center}
.compliance td:nth-child(5),.compliance tr+tr th:nth-child(4),.compliance th[colspan]+th{border-left:1px solid #d1d5db}
tr.total td{font-weight:700;border-top:2px solid #d1d5db}
@media (max-width:760px){.cards{grid-template-columns:repeat(2,1fr)}.row,.row3{grid-template-columns:1fr}}
"""


def render_html(report: Report, tz: ZoneInfo, company: str) -> str:
    """The whole report as one HTML5 document (see the module docstring)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: never pick a GUI backend should pyplot be imported later
    first = report.since.astimezone(tz).date()
    last = (report.until - timedelta(microseconds=1)).astimezone(tz).date()  # `until` is excluded
    meta = [
        f"Periodo: <b>del {_day(first)} al {_day(last)}</b>",
        f"A la fecha: <b>{escape(format_moment(report.as_of, 'es', tz))}</b>",
    ]
    if report.organisation:
        meta.append(f"Organización: <b>{escape(report.organisation)}</b>")
    title = f"Informe de cumplimiento del SLA — {escape(company)}"
    breaches, by_channel = report.breaches_by_priority, report.by_channel
    order, nothing = _ordered(breaches), "Sin incumplimientos" if report.tickets > report.not_covered else "Sin datos"
    charts = {
        "Cumplimiento por semana": _weekly_chart(report),
        "Tickets por canal": _bars([CHANNELS.get(k, k) for k in by_channel], [*by_channel.values()], VOLUME, "Tickets"),
        "Incumplimientos por prioridad": _bars(
            [_priority(k) for k in order], [breaches[k] for k in order], BREACH, "Plazos incumplidos", nothing
        ),
    }
    weekly, channels, breached = (
        _panel(name, _svg(chart, f"c{n}", name)) for n, (name, chart) in enumerate(charts.items())
    )
    by_organisation = report.compliance_by_organisation
    return f"""<!DOCTYPE html>
<html lang="es">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{CSS}</style></head>
<body><main>
<h1>{title}</h1>
<p class="meta">{" · ".join(meta)}</p>
<section class="cards">{_cards(report)}</section>
{weekly}
<div class="row">{channels}{breached}</div>
{_panel("Cumplimiento por prioridad", _compliance_table(report.compliance, "Prioridad", _priority))}
{_panel("Cumplimiento por organización", _compliance_table(by_organisation, "Organización", _organisation))}
<div class="row3">{_panel("Tickets por prioridad", _counts(report.by_priority, "Prioridad", _priority))}
{_panel("Tickets por organización", _counts(report.by_organisation, "Organización", _organisation))}
{_panel("Tickets cubiertos por nivel", _counts(report.by_level, "Nivel", _level))}</div>
<footer>Un plazo se evalúa cuando se cumplió o cuando ya venció a la fecha del informe; los que siguen corriendo no
cuentan. Los tiempos se miden en horario hábil del plan de cada ticket, sin las esperas por el cliente; el p90 es el
tiempo en que se atendió el 90 % de los tickets.</footer>
</main></body>
</html>
"""


def _panel(title: str, content: str) -> str:
    return f'<section class="panel"><h2>{title}</h2>{content}</section>'


def _day(day: date, pattern: str = "d 'de' MMMM 'de' y") -> str:
    return str(format_date(day, pattern, locale="es"))


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}".replace(".", ",") + " %"


def _duration(minutes: float | None) -> str:
    if minutes is None:
        return "—"
    hours, rest = divmod(round(minutes), 60)
    return f"{hours} h {rest} min" if hours and rest else f"{hours} h" if hours else f"{rest} min"


def _priority(key: str) -> str:
    return "Total" if key == "all" else PRIORITIES.get(key, key)


def _organisation(key: str) -> str:
    return "Total" if key == "all" else "Sin organización" if key == "(none)" else key


def _level(key: str) -> str:
    return "Sin nivel" if key == "-" else f"Nivel {key}"


def _ordered(keys: Iterable[str]) -> list[str]:
    """The priorities most urgent first, any other key after them; "all" last."""
    rank = {key: index for index, key in enumerate(PRIORITIES)}
    return sorted(keys, key=lambda key: (key == "all", rank.get(key, len(rank)), key))


def _cards(report: Report) -> str:
    none = Durations(0, None, None)
    response, resolution = (report.compliance.get(which, {}).get("all", Compliance(0, 0)) for which in _WHICH)
    answer, solve = (report.durations.get(which, none) for which in _WHICH)
    cards = [
        ("Tickets", _number(report.tickets), "recibidos en el periodo"),
        ("No cubiertos", _number(report.not_covered), "fuera del acuerdo de servicio"),
        ("Cumplimiento de respuesta", _percent(response.share), f"{response.met} de {response.due} plazos"),
        ("Cumplimiento de solución", _percent(resolution.share), f"{resolution.met} de {resolution.due} plazos"),
        ("Respuesta: mediana", _duration(answer.median), f"p90: {_duration(answer.p90)} · horario hábil"),
        ("Solución: mediana", _duration(solve.median), f"p90: {_duration(solve.p90)} · horario hábil"),
        ("Recordatorios", _number(report.reminders), "enviados al cliente"),
        ("Cerrados sin respuesta", _number(report.auto_closed), "del cliente, tras el recordatorio"),
    ]
    return "".join(
        f'<div class="card"><div class="label">{label}</div><div class="value">{value}</div>'
        f'<div class="note">{note}</div></div>'
        for label, value, note in cards
    )


def _compliance_table(table: Mapping[Which, Mapping[str, Compliance]], heading: str, name: Callable[[str], str]) -> str:
    groups = _ordered(set(table.get("response", {})) | set(table.get("resolution", {})))
    head = (
        f'<thead><tr><th rowspan="2">{heading}</th><th colspan="3">Respuesta</th><th colspan="3">Solución</th></tr>'
        "<tr>" + "<th>Cumplidos</th><th>Evaluados</th><th>%</th>" * 2 + "</tr></thead>"
    )
    rows = []
    for group in groups:
        cells = []
        for which in _WHICH:
            c = table.get(which, {}).get(group, Compliance(0, 0))
            cells.append(f"<td>{_number(c.met)}</td><td>{_number(c.due)}</td><td>{_percent(c.share)}</td>")
        total = ' class="total"' if group == "all" else ""
        rows.append(f"<tr{total}><td>{escape(name(group))}</td>{''.join(cells)}</tr>")
    body = "".join(rows) or '<tr><td colspan="7">Sin datos</td></tr>'
    return f'<table class="compliance">{head}<tbody>{body}</tbody></table>'


def _counts(counts: Mapping[str, int], heading: str, name: Callable[[str], str]) -> str:
    total = sum(counts.values())
    rows = "".join(
        f"<tr><td>{escape(name(k))}</td><td>{_number(counts[k])}</td><td>{_percent(counts[k] / (total or 1))}</td></tr>"
        for k in _ordered(counts)
    )
    if rows:
        rows += f'<tr class="total"><td>Total</td><td>{_number(total)}</td><td></td></tr>'
    body = rows or '<tr><td colspan="3">Sin datos</td></tr>'
    return f"<table><thead><tr><th>{heading}</th><th>Tickets</th><th>%</th></tr></thead><tbody>{body}</tbody></table>"


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure  # not pyplot: no global figure registry, nothing left open

    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=10.5, colors="#374151")
    axes.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def _empty(axes: Axes, note: str) -> None:
    axes.text(0.5, 0.5, note, transform=axes.transAxes, ha="center", va="center", fontsize=13, color=MUTED)


def _weekly_chart(report: Report) -> Figure:
    figure, axes = _figure(10, 3.6)
    first = report.weeks[0].starts if report.weeks else None
    drawn = 0
    for which, colour, label, offset in (
        ("response", RESPONSE, "Respuesta", 8),
        ("resolution", RESOLUTION, "Solución", -15),
    ):
        points = [(w.starts, c.share) for w in report.weeks if (c := getattr(w, which)).share is not None]
        xs = [(day - first).days / 7 for day, _ in points] if first else []
        ys = [share * 100 for _, share in points]
        drawn += len(xs)
        axes.plot(xs, ys, color=colour, marker="o", markersize=6, linewidth=2.2, label=label, clip_on=False)
        for x, y, (day, _) in zip(xs, ys, points, strict=True):  # each label's id: "response-2026-10-05"
            axes.annotate(f"{y:.0f} %", (x, y), xytext=(0, offset), textcoords="offset points", ha="center",
                          fontsize=9.5, color=colour, gid=f"{which}-{day.isoformat()}")  # fmt: skip
    axes.set_ylim(0, 100)
    axes.set_yticks(range(0, 101, 20), [f"{v} %" for v in range(0, 101, 20)])
    axes.set_ylabel("Plazos cumplidos", color="#374151")
    axes.set_xlabel("Semana (lunes de inicio)", color="#374151")
    if first is None or not drawn:
        _empty(axes, "Sin datos")
        axes.set_xticks([])
        return figure
    shown = report.weeks[:: max(1, -(-len(report.weeks) // 12))]  # at most 12 labels
    axes.set_xticks([(w.starts - first).days / 7 for w in shown], [_day(w.starts, "d MMM") for w in shown])
    axes.set_xlim(-0.3, (report.weeks[-1].starts - first).days / 7 + 0.3)
    figure.legend(loc="outside upper right", frameon=False, ncols=2, fontsize=10.5)
    return figure


def _bars(labels: Sequence[str], values: Sequence[int], colour: str, unit: str, note: str = "Sin datos") -> Figure:
    from matplotlib.ticker import MaxNLocator

    figure, axes = _figure(4.8, 3.2)
    axes.set_ylabel(unit, color="#374151")
    if not values:
        _empty(axes, note)
        axes.set_xticks([])
        axes.set_yticks([])
        return figure
    positions, labels = list(range(len(values))), [t if len(t) <= 18 else t[:17] + "…" for t in labels]
    bars = axes.bar(positions, values, color=colour, width=0.6)
    axes.bar_label(bars, labels=[_number(v) for v in values], padding=3, fontsize=10.5, color="#111827")
    axes.set_xticks(
        positions, labels, rotation=30 if len(values) > 5 else 0, ha="right" if len(values) > 5 else "center"
    )
    pad = max(0, 4 - len(values)) / 2  # few bars: as narrow as four would be, centred
    axes.set_xlim(-0.5 - pad, len(values) - 0.5 + pad)
    axes.set_ylim(0, max(max(values), 1) * 1.18)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    return figure


def _svg(figure: Figure, prefix: str, title: str) -> str:
    """The figure as an `<svg>` element for inlining in HTML: no prolog or DOCTYPE, no namespaces (HTML gives them),
    its own ids (three charts in one page), and sized by the page's CSS."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": prefix}):
        figure.savefig(buffer, format="svg", metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    figure.clear()
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    end = text.index(">") + 1
    head = re.sub(r'\s(?:xmlns(?::\w+)?|width|height|version)="[^"]*"', "", text[:end])
    head = head.replace("<svg", f'<svg class="chart" role="img" aria-label="{escape(title)}"', 1)
    body = re.sub(r'(\sid="|href="#|url\(#)', rf"\g<1>{prefix}-", text[end:].replace("xlink:href=", "href="))
    return head + body
