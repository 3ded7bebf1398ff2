"""The report as one readable HTML page with an inline SVG timeline (no scripts)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from lfr_api.reports.schemas import CameraFacts, DeploymentReport, TimelineBucket

STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b}h1{margin-bottom:.2rem}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#555}svg text{font-size:11px;fill:#333}
"""


def _camera(camera: CameraFacts, ran: bool) -> str:
    failed = ran and not camera.delivered_frames
    return (f"{camera.camera_id} ({camera.location_name}"
            f"{': no frames, its source failed' if failed else ''})")


def _when(at: datetime | None) -> str:
    return "—" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")


def _table(rows: Iterable[tuple[str, object]]) -> str:
    cells = []
    for label, value in rows:
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        shown = f"{value:,.4g}" if isinstance(value, float) else str(value)
        cells.append(f"<tr><th>{escape(label)}</th>"
                     f"<td{' class=n' if numeric else ''}>{escape(shown)}</td></tr>")
    return "<table>" + "".join(cells) + "</table>"


def _bars(buckets: list[TimelineBucket], title: str, series: list[tuple[str, str, str]],
          width: int = 900, height: int = 160) -> str:
    """A stacked bar chart: ``series`` is (field, label, colour)."""
    if not buckets:
        return f"<p class=muted>{escape(title)}: no data.</p>"
    left, bottom, top = 48, 28, 22
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(max(sum(getattr(b, f) for f, _, _ in series) for b in buckets), 1)
    step = plot_w / len(buckets)
    parts = [f'<svg role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<text x="{left}" y="14">{escape(title)} (max {peak:,} per bucket)</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
             f'y2="{top + plot_h}" stroke="#999"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak:,}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>']
    for i, b in enumerate(buckets):
        x = left + i * step
        y = top + plot_h
        for field, label, colour in series:
            value = getattr(b, field)
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" '
                         f'height="{h:.1f}" fill="{colour}"><title>{escape(_when(b.start))}: '
                         f'{value:,} {escape(label)}</title></rect>')
        if i % max(1, len(buckets) // 8) == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 8}">'
                         f'{escape(b.start.strftime("%d %b %H:%M"))}</text>')
    legend_x = left + plot_w
    for _field, label, colour in reversed(series):
        legend_x -= 10 + 7 * len(label)
        parts.append(f'<rect x="{legend_x}" y="5" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{legend_x + 13}" y="14">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: DeploymentReport) -> str:
    """The report as a standalone HTML document."""
    a, r, d = report.authorisation, report.results, report.deletion
    undetermined = [b.model_copy(update={"alerts": b.alerts - b.true_alerts - b.false_alerts})
                    for b in report.timeline]
    outcome_rows = sorted(r.outcomes.items()) or [("(no decisions yet)", 0)]
    body = [
        f"<h1>{escape(report.name)}</h1>",
        f"<p class=muted>Post-deployment report · deployment {escape(report.deployment_id)} · "
        f"state {escape(report.state)} · generated {escape(_when(report.generated_at))}</p>",
        "<h2>Authorisation</h2>",
        _table([("Purpose", a.purpose), ("Legal basis", a.legal_basis),
                ("Necessity", a.necessity), ("Proportionality", a.proportionality),
                ("Watchlist criteria", a.watchlist_criteria),
                ("Community impact assessment", a.community_impact_ref),
                ("Location", a.location), ("Authorised by", a.authorised_by or "—"),
                ("Authorised at", _when(a.authorised_at)),
                ("Authorised window", f"{_when(a.authorised_start)} to "
                                      f"{_when(a.authorised_end)}"),
                ("Notice published", _when(a.published_at))]),
        "<h2>Deployment</h2>",
        _table([("Live", f"{_when(report.live_from)} to {_when(report.live_until)}"),
                ("Hours live", round(report.hours_live, 2)),
                ("Cameras", ", ".join(_camera(c, report.live_from is not None)
                                      for c in report.cameras) or "—"),
                ("Watchlist size (people)", report.watchlist_size),
                ("Watchlist images enrolled", report.watchlist_images_enrolled),
                ("Recogniser / models", f"{report.recogniser} / "
                                        f"{', '.join(report.model_ids) or '—'}"),
                ("Threshold (expert's fixed)", "from the target FPIR"
                 if report.threshold is None else report.threshold),
                ("Thresholds in alerts", ", ".join(f"{t:g}" for t in report.thresholds_used)
                 or "—")]),
        "<h2>Results</h2>",
        _table([("Faces seen", r.faces_seen),
                ("Non-match discards (deleted at once)", r.non_match_discards),
                ("Alerts", r.alerts), ("True alerts", r.true_alerts),
                ("False alerts", r.false_alerts),
                ("Undetermined alerts", r.undetermined_alerts),
                ("Engagements", r.engagements),
                ("True-alert engagements", r.true_alert_engagements),
                ("False-alert engagements", r.false_alert_engagements),
                ("Not engaged", r.no_engagements),
                ("Awaiting a decision", r.awaiting_decision),
                ("False alert rate (false alerts ÷ faces seen)",
                 "—" if r.false_alert_rate is None
                 else f"{r.false_alert_rate:.6f} ({r.false_alert_rate_text})"),
                ("Alerts per hour", "—" if r.alerts_per_hour is None
                 else round(r.alerts_per_hour, 3))]),
        "<h2>Predicted against observed</h2>",
        _table(_accuracy_rows(report)),
        "<h3>Outcomes</h3>",
        _table([(k.replace("_", " "), v) for k, v in outcome_rows]),
        f"<h2>Timeline ({report.timeline_bucket_minutes}-minute buckets)</h2>",
        _bars(report.timeline, "Faces seen", [("faces_seen", "faces seen", "#6a8caf")]),
        _bars(undetermined, "Alerts", [("true_alerts", "true", "#2e7d32"),
                                       ("false_alerts", "false", "#c62828"),
                                       ("alerts", "undetermined", "#9e9e9e")]),
        "<h2>Retention periods</h2>",
        _table([("Policy", report.retention.policy),
                ("Alert biometrics kept (days, holds aside)",
                 f"{report.retention.alert_biometrics_days:g}"),
                ("Watchlist kept after the authorised end (hours, at most)",
                 f"{report.retention.watchlist_hours_after_end:g}"),
                ("Shortened by this deployment",
                 ", ".join(report.retention.shortened) or "no")]),
        "<h2>Deletion status</h2>",
        _table([("Watchlist destroyed", "yes" if d.watchlist_destroyed else "no"),
                ("Watchlist deadline (at the latest)", _when(d.watchlist_deadline)),
                ("Watchlist images / templates left",
                 f"{d.watchlist_images_remaining} / {d.watchlist_templates_remaining}"),
                ("Watchlist images / templates deleted",
                 f"{d.watchlist_images_deleted} / {d.watchlist_templates_deleted}"),
                ("Alert biometric parts left", d.alert_biometric_parts_remaining),
                ("… of which under a hold", d.alert_biometric_parts_held),
                ("Alert biometric parts deleted", d.alert_biometric_parts_deleted),
                ("Active holds", d.active_holds),
                ("Unheld alert biometrics gone by", _when(d.alert_biometrics_deadline))]),
    ]
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{escape(report.name)} — post-deployment report</title>"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2g}"


def _band(values: list[float] | None) -> str:
    return "—" if not values else f"{values[0]:.2g} to {values[1]:.2g}"


def _accuracy_rows(report: DeploymentReport) -> list[tuple[str, object]]:
    """The prediction recorded at authorisation beside what was observed."""
    a = report.accuracy
    verdict = {True: "yes", False: "NO: review the calibration and the outcomes",
               None: "—"}[a.consistent]
    rows: list[tuple[str, object]] = [
        ("Policy", a.policy or "—"),
        ("Target FPIR per passer-by", _rate(a.target_fpir)),
        ("Operating threshold", "—" if a.threshold is None else f"{a.threshold:.4f}"),
        ("Templates in the watchlist", "—" if a.watchlist_templates is None
         else a.watchlist_templates),
        ("Predicted FPIR (95% band)",
         f"{_rate(a.predicted_fpir)} ({_band(a.predicted_fpir_ci95)})"),
        ("Predicted false alerts for the faces seen", "—" if a.predicted_false_alerts is None
         else f"{a.predicted_false_alerts:.2f}"),
        ("Observed false alerts ÷ faces seen (95%)",
         f"{a.false_alerts} ÷ {a.faces_seen} = {_rate(a.observed_false_alert_rate)} "
         f"({_band(a.observed_ci95)})"),
        ("Observed within the prediction", verdict)]
    rows += [("Warning", w) for w in a.warnings]
    return rows
