// The authorising officer: drafts waiting for a decision, then one deployment's
// authorisation with purpose, legal basis, necessity, proportionality, criteria, community
// impact reference and window — and the false alerts it is predicted to raise for its
// watchlist size and the expected footfall.
import { useEffect, useState } from "preact/hooks";
import { ApiError, request, type Session } from "../api/client";
import type { Deployment, OperatingPoint } from "../api/types";
import { href } from "../router";
import { Field, Notice, Problem, StateBadge, Table, TextArea, useAction, when } from "../ui/common";

export function AuthoriseHome({ session }: { session: Session }) {
  const [items, setItems] = useState<Deployment[]>([]);
  useEffect(() => void request<Deployment[]>(session, "GET", "/deployments").then(setItems), [session]);
  return (
    <section aria-labelledby="ao-h">
      <h1 id="ao-h">Authorisations</h1>
      <Table caption="Deployments" head={["Name", "State", "Where", "Window"]}
        rows={items.map((d) => [<a href={href("authorise", "d", d.id)}>{d.name}</a>, <StateBadge state={d.state} />, d.location,
          d.authorised_start ? `${when(d.authorised_start)} – ${when(d.authorised_end)}` : "—"])} />
    </section>
  );
}

function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function pct(x: number): string {
  if (x <= 0) return "0";
  return x >= 0.01 ? `${(x * 100).toFixed(1)}%` : `1 in ${Math.round(1 / x).toLocaleString("en-GB")}`;
}

/** A two-number interval from the contract's list, or null. */
function band(values: number[] | null | undefined): [number, number] | null {
  const [lo, hi] = values ?? [];
  return lo !== undefined && hi !== undefined ? [lo, hi] : null;
}

export function Prediction({ op, missing }: { op: OperatingPoint | null; missing: string | null }) {
  if (missing) return <Notice>{missing}</Notice>;
  if (!op) return <p role="status">Predicting false alerts…</p>;
  const [lo, hi] = band(op.expected_false_alerts_ci95) ?? [null, null];
  const rate = band(op.predicted_fpir_ci95);
  return (
    <section class="prediction" aria-labelledby="pred-h">
      <h3 id="pred-h">Predicted false alerts</h3>
      {op.expected_false_alerts !== null ? (
        <p class="big-number"><strong>{op.expected_false_alerts.toFixed(1)}</strong> false alerts expected
          {lo !== null && hi !== null ? <> (95% interval {lo.toFixed(1)}–{hi.toFixed(1)})</> : null} over {op.expected_faces?.toLocaleString("en-GB")} faces</p>
      ) : <p>Give the expected footfall to see the false alerts it predicts.</p>}
      <dl class="facts">
        <dt>False alert rate per passer-by</dt><dd>{op.predicted_fpir !== null && rate
          ? <>at most {pct(rate[1])} (95%; central estimate {pct(op.predicted_fpir)}, interval {pct(rate[0])} to {pct(rate[1])})</>
          : "not predicted: this model has no calibration"}</dd>
        <dt>Policy</dt><dd>{op.policy === "target_fpir" && op.target_fpir !== null ? `target ${pct(op.target_fpir)} per passer-by` : "fixed threshold"} → threshold {op.threshold.toFixed(3)}</dd>
        <dt>Watchlist</dt><dd>{op.watchlist_entries} people, {op.watchlist_templates} images</dd>
        <dt>Model</dt><dd>{op.model_id}{op.calibration
          ? <>; calibrated on {op.calibration.pairs.toLocaleString("en-GB")} pairs of {op.calibration.identities} people (vouched for up to {op.calibration.max_watchlist_size.toLocaleString("en-GB")} images)</>
          : "; not calibrated"}</dd>
      </dl>
      {op.warnings.length > 0 && <ul class="warnings">{op.warnings.map((w) => <li key={w}>{w}</li>)}</ul>}
    </section>
  );
}

export function AuthoriseDeployment({ session, deploymentId }: { session: Session; deploymentId: string }) {
  const [d, setD] = useState<Deployment | null>(null);
  const [entries, setEntries] = useState<number | null>(null);
  const start = new Date(Date.now() - 5 * 60_000);
  const [f, setF] = useState({
    purpose: "", legal_basis: "", necessity: "", proportionality: "", watchlist_criteria: "", community_impact_ref: "", location: "",
    start: localInput(start), end: localInput(new Date(start.getTime() + 4 * 3600_000)),
  });
  const [faces, setFaces] = useState("20000");
  const [op, setOp] = useState<OperatingPoint | null>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const [busy, error, run] = useAction();
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  const load = async () => {
    const dep = await request<Deployment>(session, "GET", `/deployments/${deploymentId}`);
    setD(dep);
    setF((old) => ({ ...old, location: old.location || dep.location, purpose: old.purpose || dep.purpose }));
    try {
      setEntries((await request<unknown[]>(session, "GET", `/deployments/${deploymentId}/watchlist`)).length);
    } catch {
      setEntries(null);
    }
  };
  useEffect(() => void load(), [session, deploymentId]);
  useEffect(() => {
    const n = Number.parseInt(faces, 10);
    const query = Number.isFinite(n) && n > 0 ? `?expected_faces=${n}` : "";
    const t = window.setTimeout(() => {
      request<OperatingPoint>(session, "GET", `/deployments/${deploymentId}/operating-point${query}`).then((p) => { setOp(p); setMissing(null); }, (e: unknown) => {
        setOp(null);
        setMissing(e instanceof ApiError && (e.status === 404 || e.status === 405) && !e.problem.detail?.includes("deployment")
          ? "This service does not predict false alerts yet (no operating-point endpoint): weigh the watchlist size and threshold below."
          : `The prediction is not available: ${e instanceof Error ? e.message : String(e)}`);
      });
    }, 300);
    return () => window.clearTimeout(t);
  }, [session, deploymentId, faces]);
  if (!d) return <Problem error={error} />;
  const authorise = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const n = Number.parseInt(faces, 10);
      await request(session, "POST", `/deployments/${d.id}/authorise`, {
        purpose: f.purpose, legal_basis: f.legal_basis, necessity: f.necessity, proportionality: f.proportionality,
        watchlist_criteria: f.watchlist_criteria, community_impact_ref: f.community_impact_ref, location: f.location,
        authorised_start: new Date(f.start).toISOString(), authorised_end: new Date(f.end).toISOString(),
        ...(op && Number.isFinite(n) && n > 0 ? { expected_faces: n } : {}),
      });
      await load();
    });
  };
  const act = (action: "publish" | "close") => void run(async () => { await request(session, "POST", `/deployments/${d.id}/${action}`, {}); await load(); });
  return (
    <section aria-labelledby="auth-h">
      <h1 id="auth-h">{d.name} <StateBadge state={d.state} /></h1>
      <p>{d.location} · watchlist: {entries ?? op?.watchlist_entries ?? "size not shown to this role"}{(entries ?? op?.watchlist_entries) !== undefined ? ((entries ?? op?.watchlist_entries) === 1 ? " person" : " people") : ""} · threshold {op ? op.threshold.toFixed(3) : d.threshold ?? "from the recogniser's calibration"}</p>
      <Field label="Expected faces over the whole deployment (footfall)" type="number" min={1} value={faces} onValue={setFaces} />
      <Prediction op={op} missing={missing} />
      {d.state === "draft" ? (
        <form onSubmit={authorise} class="panel" aria-labelledby="authorise-h">
          <h2 id="authorise-h">Authorise</h2>
          <TextArea label="Purpose" value={f.purpose} onValue={set("purpose")} required />
          <Field label="Legal basis" value={f.legal_basis} onValue={set("legal_basis")} required />
          <TextArea label="Necessity" value={f.necessity} onValue={set("necessity")} required />
          <TextArea label="Proportionality" value={f.proportionality} onValue={set("proportionality")} required />
          <TextArea label="Watchlist criteria" value={f.watchlist_criteria} onValue={set("watchlist_criteria")} required />
          <Field label="Community impact assessment reference" value={f.community_impact_ref} onValue={set("community_impact_ref")} required />
          <Field label="Location" value={f.location} onValue={set("location")} required />
          <Field label="Authorised from" type="datetime-local" value={f.start} onValue={set("start")} required />
          <Field label="Authorised until" type="datetime-local" value={f.end} onValue={set("end")} required />
          <button class="primary" type="submit" disabled={busy}>Authorise this deployment</button>
          <Problem error={error} />
        </form>
      ) : (
        <div class="panel">
          <Notice>Authorised by {d.authorised_by} on {when(d.authorised_at)} for {when(d.authorised_start)} – {when(d.authorised_end)}.</Notice>
          <div class="row">
            {!d.published_at && <button class="primary" type="button" disabled={busy} onClick={() => act("publish")}>Publish the notice</button>}
            {d.state !== "closed" && <button class="danger" type="button" disabled={busy} onClick={() => act("close")}>Close the deployment</button>}
          </div>
          <Problem error={error} />
        </div>
      )}
    </section>
  );
}
