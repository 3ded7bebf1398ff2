// Compliance: holds (place, release, with a reference), the deletion, hold, discard and
// activity logs with filters and CSV/JSON export, the audit trail's check, post-deployment
// reports (the HTML report with its charts) and the public summary as the public sees it.
// Compliance may read alerts but not their images: none are fetched here.
import { useEffect, useState } from "preact/hooks";
import { describe, request, requestBlob, type Session } from "../api/client";
import type { Alert, AuditVerification, Deployment, Hold, PublicSummary, Report } from "../api/types";
import { href } from "../router";
import { CATEGORY, Field, Notice, Problem, Select, StateBadge, Table, useAction, when } from "../ui/common";

const TABS: [string, string][] = [["holds", "Holds"], ["logs", "Logs"], ["audit", "Audit trail"], ["reports", "Reports"]];

export function ComplianceHome({ session, tab, arg }: { session: Session; tab: string; arg?: string }) {
  return (
    <section aria-labelledby="comp-h">
      <h1 id="comp-h">Compliance</h1>
      <nav aria-label="Compliance" class="tabs"><ul>{TABS.map(([k, t]) => <li key={k}><a href={href("compliance", k)} aria-current={tab === k ? "page" : undefined}>{t}</a></li>)}</ul></nav>
      {tab === "holds" && <Holds session={session} />}
      {tab === "logs" && <Logs session={session} />}
      {tab === "audit" && <Audit session={session} />}
      {tab === "reports" && <Reports session={session} deploymentId={arg} />}
    </section>
  );
}

function useDeployments(session: Session): Deployment[] {
  const [items, setItems] = useState<Deployment[]>([]);
  useEffect(() => void request<Deployment[]>(session, "GET", "/deployments").then(setItems, () => undefined), [session]);
  return items;
}

function Holds({ session }: { session: Session }) {
  const deployments = useDeployments(session);
  const [holds, setHolds] = useState<Hold[]>([]);
  const [dep, setDep] = useState("");
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [type, setType] = useState("evidential");
  const [kind, setKind] = useState("alert_biometrics");
  const [item, setItem] = useState("");
  const [reference, setReference] = useState("");
  const [activeOnly, setActiveOnly] = useState(true);
  const [busy, error, run] = useAction();
  const load = () => request<Hold[]>(session, "GET", `/holds${activeOnly ? "?active=true" : ""}`).then(setHolds);
  useEffect(() => void load(), [session, activeOnly]);
  const chosen = dep || deployments[0]?.id || "";
  useEffect(() => {
    if (chosen) void request<Alert[]>(session, "GET", `/deployments/${chosen}/alerts?limit=200`).then(setAlerts, () => setAlerts([]));
  }, [session, chosen]);
  const place = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await request(session, "POST", "/holds", { hold_type: type, item_kind: kind, item_id: item, reference });
      setItem(""); setReference("");
      await load();
    });
  };
  return (
    <div>
      <form class="panel" onSubmit={place} aria-labelledby="place-h">
        <h2 id="place-h">Place a hold</h2>
        <p class="muted">A held item is kept past its retention period until the last hold on it is released.</p>
        <Select label="Hold type" value={type} onValue={setType} options={[["evidential", "Evidential"], ["complaint", "Complaint"], ["judicial_investigation", "Judicial / investigation"]]} />
        <Select label="What" value={kind} onValue={setKind} options={[["alert_biometrics", "An alert's images (probe crop and template)"], ["watchlist_image", "A watchlist image"]]} />
        <Field label="Item id" value={item} onValue={setItem} required hint="The alert id (pick one below) or the watchlist image id" />
        <Field label="Reference (case, complaint or investigation)" value={reference} onValue={setReference} required />
        <button class="primary" type="submit" disabled={busy}>Place hold</button>
        <Problem error={error} />
      </form>
      <div class="panel">
        <Select label="Alerts of deployment" value={chosen} onValue={setDep} options={deployments.map((d) => [d.id, d.name])} />
        <Table caption="Alerts (facts only: compliance does not see the images)" head={["Raised", "Camera", "Entry", "State", ""]}
          rows={alerts.map((a) => [when(a.raised_at), a.camera.id, `${CATEGORY[a.watchlist_entry.category] ?? a.watchlist_entry.category}: ${a.watchlist_entry.reference}`, a.state,
            <button type="button" onClick={() => { setKind("alert_biometrics"); setItem(a.id); document.getElementById("place-h")?.scrollIntoView(); }}>Hold alert {a.watchlist_entry.reference} at {new Date(a.raised_at).toLocaleTimeString("en-GB")}</button>])} />
      </div>
      <div class="panel">
        <div class="field check"><input id="active-only" type="checkbox" checked={activeOnly} onChange={(e) => setActiveOnly((e.target as HTMLInputElement).checked)} /><label for="active-only">Active holds only</label></div>
        <Table caption="Holds, newest first" head={["Type", "Item", "Reference", "Placed", "Released", ""]}
          rows={holds.map((h) => [h.hold_type, `${h.item_kind} ${h.item_id}`, h.reference, `${when(h.placed_at)} by ${h.placed_by}`, h.released_at ? `${when(h.released_at)} by ${h.released_by ?? ""}` : "—",
            h.released_at ? "" : <button type="button" onClick={() => void run(async () => { await request(session, "POST", `/holds/${h.id}/release`, {}); await load(); })}>Release hold {h.reference}</button>])} />
      </div>
    </div>
  );
}

function Logs({ session }: { session: Session }) {
  const deployments = useDeployments(session);
  const [log, setLog] = useState("deletions");
  const [dep, setDep] = useState("");
  const [rows, setRows] = useState<Record<string, unknown>[] | null>(null);
  const [busy, error, run] = useAction();
  const query = (format: string) => `/compliance/logs/${log}?format=${format}${dep && log !== "holds" ? `&deployment_id=${encodeURIComponent(dep)}` : ""}`;
  const show = () => void run(async () => setRows(await request<Record<string, unknown>[]>(session, "GET", query("json"))));
  const download = (format: "csv" | "json") => void run(async () => {
    const blob = await requestBlob(session, query(format));
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = `${log}${dep ? `-${dep}` : ""}.${format}`;
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  const columns = rows && rows.length ? Object.keys(rows[0] ?? {}) : [];
  return (
    <div class="panel">
      <h2>Compliance logs</h2>
      <div class="row">
        <Select label="Log" value={log} onValue={(v) => { setLog(v); setRows(null); }} options={[["deletions", "Deletions"], ["holds", "Complaint and other holds"], ["discards", "Non-match discards"], ["activity", "Activity"]]} />
        <Select label="Deployment" value={dep} onValue={setDep} options={[["", "All deployments"], ...deployments.map((d): [string, string] => [d.id, d.name])]} />
      </div>
      <div class="row">
        <button type="button" class="primary" disabled={busy} onClick={show}>Show</button>
        <button type="button" disabled={busy} onClick={() => download("csv")}>Export CSV</button>
        <button type="button" disabled={busy} onClick={() => download("json")}>Export JSON</button>
      </div>
      <Problem error={error} />
      {rows && <Table caption={`${log} (${rows.length} records)`} head={columns} rows={rows.slice(0, 500).map((r) => columns.map((c) => String(r[c] ?? "")))} empty="No records." />}
    </div>
  );
}

function Audit({ session }: { session: Session }) {
  const [result, setResult] = useState<AuditVerification | null>(null);
  const [busy, error, run] = useAction();
  return (
    <div class="panel">
      <h2>Audit trail</h2>
      <p>Every state change is appended to a hash-chained trail. Verifying checks every entry from the first and names the first one altered, removed, inserted or reordered.</p>
      <button type="button" class="primary" disabled={busy} onClick={() => void run(async () => setResult(await request<AuditVerification>(session, "GET", "/compliance/audit/verify")))}>Verify the audit trail</button>
      <Problem error={error} />
      {result && (
        <p class={result.ok ? "ok-box" : "problem"} role="status" data-audit-ok={String(result.ok)}>
          {result.ok ? `Intact: ${result.checked} entries checked, head ${result.head_seq ?? "none"} (${(result.head_hash ?? "").slice(0, 12)}…), ${when(result.verified_at)}.`
            : `BROKEN at entry ${result.first_bad_seq ?? "?"}: ${result.reason} (${result.checked} entries checked before it).`}
        </p>
      )}
    </div>
  );
}

function Reports({ session, deploymentId }: { session: Session; deploymentId?: string }) {
  const deployments = useDeployments(session);
  const [report, setReport] = useState<Report | null>(null);
  const [html, setHtml] = useState<string | null>(null);
  const [summary, setSummary] = useState<PublicSummary | null>(null);
  const [summaryNote, setSummaryNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setReport(null); setHtml(null); setSummary(null); setSummaryNote(null); setError(null);
    if (!deploymentId) return;
    request<Report>(session, "GET", `/deployments/${deploymentId}/report`).then(setReport, setError);
    requestBlob(session, `/deployments/${deploymentId}/report?format=html`).then((b) => b.text()).then(setHtml, setError);
    request<PublicSummary>(session, "GET", `/public/deployments/${deploymentId}/summary`, undefined, false)
      .then(setSummary, (e: unknown) => setSummaryNote(`Not public: ${describe(e)}`));
  }, [session, deploymentId]);
  return (
    <div>
      <div class="panel">
        <Table caption="Post-deployment reports" head={["Deployment", "State", ""]}
          rows={deployments.map((d) => [d.name, <StateBadge state={d.state} />, <a href={href("compliance", "reports", d.id)} aria-current={d.id === deploymentId ? "page" : undefined}>Report: {d.name}</a>])} />
      </div>
      <Problem error={error} />
      {report && (
        <div class="panel">
          <h2>{report.name}: results</h2>
          <dl class="facts">
            <dt>Faces seen</dt><dd>{report.results.faces_seen}</dd>
            <dt>Alerts</dt><dd>{report.results.alerts} (true {report.results.true_alerts}, false {report.results.false_alerts}, undetermined {report.results.undetermined_alerts})</dd>
            <dt>Engagements</dt><dd>{report.results.engagements} (true-alert {report.results.true_alert_engagements}, false-alert {report.results.false_alert_engagements})</dd>
            <dt>False alert rate</dt><dd>{report.results.false_alert_rate_text}</dd>
          </dl>
        </div>
      )}
      {html && (
        <div class="panel">
          <h2>The report as published</h2>
          <iframe class="report" title="Post-deployment report" srcdoc={html} sandbox="" />
        </div>
      )}
      {deploymentId && (
        <div class="panel">
          <h2>Public summary preview</h2>
          {summary ? <pre class="summary" tabIndex={0}>{JSON.stringify(summary, null, 2)}</pre> : <Notice>{summaryNote ?? "Loading…"}</Notice>}
        </div>
      )}
    </div>
  );
}
