// The control room (supervisor, desktop): every live deployment with its cameras and their
// health, the alert stream across deployments, pending decisions with their age, and the
// alert card with amendments (a reason is required).
import { useEffect, useMemo, useState } from "preact/hooks";
import { request, type Session } from "../api/client";
import type { Alert, CameraWithHealth, Deployment, Me } from "../api/types";
import { href } from "../router";
import { ago, CATEGORY, OUTCOME, Problem, StateBadge, Table, TimeAgo } from "../ui/common";
import { AlertCard } from "./alert-card";
import { FeedStatus, useFeed } from "./officer";

function Health({ camera }: { camera: CameraWithHealth }) {
  const h = camera.health;
  if (!h) return <span class="muted">not reported</span>;
  const text = h.state === "outage" ? `outage since ${h.outage_since ? ago(h.outage_since) : "?"}` : h.state;
  return (
    <span class={`health health-${h.state}`}>
      {text}{h.fps !== null ? ` · ${h.fps.toFixed(1)} fps` : ""} · {h.frames_dropped} dropped of {h.frames_read}
    </span>
  );
}

function DeploymentPanel({ session, deployment, onAlerts }: { session: Session; deployment: Deployment; onAlerts: (id: string, alerts: Map<string, Alert>) => void }) {
  const [cams, setCams] = useState<CameraWithHealth[]>([]);
  const { alerts, state } = useFeed(session, deployment.id);
  useEffect(() => onAlerts(deployment.id, alerts), [alerts]);
  useEffect(() => {
    const load = () => request<CameraWithHealth[]>(session, "GET", `/deployments/${deployment.id}/cameras`).then(setCams, () => undefined);
    void load();
    const t = window.setInterval(load, 10_000);
    return () => window.clearInterval(t);
  }, [session, deployment.id]);
  return (
    <section class="panel" aria-labelledby={`dp-${deployment.id}`}>
      <h2 id={`dp-${deployment.id}`}>{deployment.name} <StateBadge state={deployment.state} /></h2>
      <FeedStatus {...state} />
      <Table caption={`Cameras of ${deployment.name}`} head={["Camera", "Where", "Health"]}
        rows={cams.map((c) => [c.camera_id, c.location_name, <Health camera={c} />])} />
    </section>
  );
}

export function ControlRoom({ session, me, deploymentId, alertId }: { session: Session; me: Me; deploymentId?: string; alertId?: string }) {
  const [deployments, setDeployments] = useState<Deployment[]>([]);
  const [byDeployment, setByDeployment] = useState<Map<string, Map<string, Alert>>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const [, tick] = useState(0);
  useEffect(() => {
    const load = () => request<Deployment[]>(session, "GET", "/deployments").then((all) => setDeployments(all.filter((d) => d.state === "live")), setError);
    void load();
    const t = window.setInterval(() => { void load(); tick((n) => n + 1); }, 5_000);
    return () => window.clearInterval(t);
  }, [session]);
  const onAlerts = (id: string, alerts: Map<string, Alert>) => setByDeployment((old) => new Map(old).set(id, alerts));
  const all = useMemo(() => [...byDeployment.values()].flatMap((m) => [...m.values()]).sort((a, b) => b.raised_at.localeCompare(a.raised_at)), [byDeployment]);
  const pending = all.filter((a) => a.state === "pending").sort((a, b) => a.raised_at.localeCompare(b.raised_at));
  const names = new Map(deployments.map((d) => [d.id, d.name]));
  const open = alertId ? all.find((a) => a.id === alertId) : undefined;
  const update = (a: Alert) => setByDeployment((old) => new Map(old).set(a.deployment_id, new Map(old.get(a.deployment_id)).set(a.id, a)));
  return (
    <div class="control-room">
      <h1>Control room</h1>
      <Problem error={error} />
      {deployments.length === 0 && <p>No deployment is live.</p>}
      <div class="grid">
        <div>
          {deployments.map((d) => <DeploymentPanel key={d.id} session={session} deployment={d} onAlerts={onAlerts} />)}
        </div>
        <div>
          {open && deploymentId && (
            <section class="panel" aria-label="Selected alert">
              <AlertCard session={session} me={me} alert={open} onChanged={update} />
              <a href={href("control")}>Back to the stream</a>
            </section>
          )}
          <Table caption={`Pending decisions (${pending.length}), oldest first`} head={["Waiting", "Deployment", "Camera", "Who", ""]}
            rows={pending.map((a) => [<span class={Date.now() - Date.parse(a.raised_at) > 120_000 ? "late" : ""}><TimeAgo at={a.raised_at} /></span>,
              names.get(a.deployment_id) ?? a.deployment_id, a.camera.location || a.camera.id,
              `${CATEGORY[a.watchlist_entry.category] ?? a.watchlist_entry.category}: ${a.watchlist_entry.reference}`,
              <a href={href("control", "d", a.deployment_id, "a", a.id)}>Open {a.watchlist_entry.reference}</a>])} empty="Nothing waiting." />
          <Table caption="Alert stream, newest first" head={["Raised", "Deployment", "Camera", "Score", "State", ""]}
            rows={all.slice(0, 100).map((a) => [<TimeAgo at={a.raised_at} />, names.get(a.deployment_id) ?? a.deployment_id, a.camera.id,
              a.score.toFixed(3),
              <span data-stream-state={a.state}>{a.decision ? `${a.decision.decision === "engage" ? "engaged" : "not engaged"}: ${OUTCOME[a.decision.outcome] ?? a.decision.outcome}${a.decision.amended ? " (amended)" : ""} by ${a.decision.decided_by.replace(/^user:/, "")}` : "pending"}</span>,
              <a href={href("control", "d", a.deployment_id, "a", a.id)}>Open alert {a.watchlist_entry.reference} at {new Date(a.raised_at).toLocaleTimeString("en-GB")}</a>])} empty="No alert yet." />
        </div>
      </div>
    </div>
  );
}
