// Admin: deployments as a guided flow (draft → cameras → watchlist → authorisation →
// officers → publish → start → close), users and roles.
import { useEffect, useState } from "preact/hooks";
import { request, type Session } from "../api/client";
import type { Assignment, Camera, CameraTestOut, Deployment, ServiceAccount, Transition, User } from "../api/types";
import { href } from "../router";
import { Field, Notice, Problem, Select, StateBadge, Table, TextArea, useAction, when } from "../ui/common";
import { CameraTestResult } from "./camera-test";
import { Watchlist } from "./watchlist";

export function AdminHome({ session }: { session: Session }) {
  const [items, setItems] = useState<Deployment[]>([]);
  const [name, setName] = useState("");
  const [location, setLocation] = useState("");
  const [busy, error, run] = useAction();
  const load = () => request<Deployment[]>(session, "GET", "/deployments").then(setItems);
  useEffect(() => void load(), [session]);
  const create = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const d = await request<Deployment>(session, "POST", "/deployments", { name, location });
      window.location.hash = href("admin", "d", d.id, "cameras");
    });
  };
  return (
    <section aria-labelledby="deps">
      <h1 id="deps">Deployments</h1>
      <Table caption="Deployments, newest first" head={["Name", "State", "Where", "Authorised window"]}
        rows={items.map((d) => [<a href={href("admin", "d", d.id)}>{d.name}</a>, <StateBadge state={d.state} />, d.location,
          d.authorised_start ? `${when(d.authorised_start)} – ${when(d.authorised_end)}` : "not authorised"])} />
      <form onSubmit={create} aria-labelledby="new-dep" class="panel">
        <h2 id="new-dep">New deployment (draft)</h2>
        <Field label="Name" value={name} onValue={setName} required />
        <Field label="Location" value={location} onValue={setLocation} />
        <button class="primary" type="submit" disabled={busy}>Create draft</button>
        <Problem error={error} />
      </form>
    </section>
  );
}

const STEPS: [string, string][] = [
  ["details", "Draft"], ["cameras", "Cameras"], ["watchlist", "Watchlist"], ["authorisation", "Authorisation"],
  ["officers", "Officers and nodes"], ["notice", "Public notice"], ["live", "Start and close"],
];

function stepDone(step: string, d: Deployment, cams: Camera[], entries: number, assigned: number): boolean {
  switch (step) {
    case "details": return true;
    case "cameras": return cams.length > 0;
    case "watchlist": return entries > 0;
    case "authorisation": return d.authorised_at !== null;
    case "officers": return assigned > 0;
    case "notice": return d.published_at !== null;
    case "live": return d.state === "live" || d.state === "closed";
    default: return false;
  }
}

export function AdminDeployment({ session, deploymentId, step = "details" }: { session: Session; deploymentId: string; step?: string }) {
  const [d, setD] = useState<Deployment | null>(null);
  const [cams, setCams] = useState<Camera[]>([]);
  const [entries, setEntries] = useState(0);
  const [assigned, setAssigned] = useState<Assignment[]>([]);
  const [error, setError] = useState<unknown>(null);
  const reload = async () => {
    try {
      const [dep, c, a, w] = await Promise.all([
        request<Deployment>(session, "GET", `/deployments/${deploymentId}`),
        request<Camera[]>(session, "GET", `/deployments/${deploymentId}/cameras`),
        request<Assignment[]>(session, "GET", `/deployments/${deploymentId}/assignments`),
        request<unknown[]>(session, "GET", `/deployments/${deploymentId}/watchlist`),
      ]);
      setD(dep); setCams(c); setAssigned(a); setEntries(w.length);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void reload(), [session, deploymentId]);
  if (!d) return <Problem error={error} />;
  return (
    <section aria-labelledby="dep-name">
      <h1 id="dep-name">{d.name} <StateBadge state={d.state} /></h1>
      <nav aria-label="Deployment steps" class="steps">
        <ol>
          {STEPS.map(([key, label], i) => (
            <li key={key} class={stepDone(key, d, cams, entries, assigned.length) ? "done" : ""}>
              <a href={href("admin", "d", d.id, key)} aria-current={step === key ? "step" : undefined}>
                <span class="n">{i + 1}</span> {label}{stepDone(key, d, cams, entries, assigned.length) ? <span class="sr"> (done)</span> : null}
              </a>
            </li>
          ))}
        </ol>
      </nav>
      <Problem error={error} />
      {step === "details" && <Details session={session} d={d} onSaved={reload} />}
      {step === "cameras" && <Cameras session={session} d={d} cams={cams} onSaved={reload} />}
      {step === "watchlist" && <Watchlist session={session} d={d} onChanged={reload} />}
      {step === "authorisation" && <AuthorisationStatus d={d} />}
      {step === "officers" && <Officers session={session} d={d} assigned={assigned} onSaved={reload} />}
      {step === "notice" && <NoticeStep session={session} d={d} onSaved={reload} />}
      {step === "live" && <Live session={session} d={d} onSaved={reload} />}
    </section>
  );
}

function Details({ session, d, onSaved }: { session: Session; d: Deployment; onSaved: () => Promise<void> }) {
  const [name, setName] = useState(d.name);
  const [location, setLocation] = useState(d.location);
  const [purpose, setPurpose] = useState(d.purpose);
  const [busy, error, run] = useAction();
  const draft = d.state === "draft";
  const save = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await request(session, "PATCH", `/deployments/${d.id}`, { name, location, purpose });
      await onSaved();
    });
  };
  return (
    <form onSubmit={save} class="panel" aria-labelledby="details-h">
      <h2 id="details-h">Draft</h2>
      {!draft && <Notice>Authorised deployments cannot be edited: what was authorised stays as it was.</Notice>}
      <Field label="Name" value={name} onValue={setName} required disabled={!draft} />
      <Field label="Location" value={location} onValue={setLocation} disabled={!draft} />
      <TextArea label="Purpose (draft)" value={purpose} onValue={setPurpose} />
      <p class="muted">Detector {d.detector}, recogniser {d.recogniser}, matcher {d.matcher}; threshold {d.threshold ?? "the recogniser's calibrated one"}.</p>
      {draft && <button class="primary" type="submit" disabled={busy}>Save</button>}
      <a class="next" href={href("admin", "d", d.id, "cameras")}>Next: cameras</a>
      <Problem error={error} />
    </form>
  );
}

function Cameras({ session, d, cams, onSaved }: { session: Session; d: Deployment; cams: Camera[]; onSaved: () => Promise<void> }) {
  const [cameraId, setCameraId] = useState("gate-1");
  const [source, setSource] = useState("video");
  const [uri, setUri] = useState("");
  const [place, setPlace] = useState("");
  const [tested, setTested] = useState<CameraTestOut | null>(null);
  const [busy, error, run] = useAction();
  const body = () => ({ camera_id: cameraId, source, uri, location_name: place, options: {} });
  const test = () => void run(async () => {
    setTested(null);
    setTested(await request<CameraTestOut>(session, "POST", `/deployments/${d.id}/camera-test`, body()));
  });
  const add = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await request(session, "POST", `/deployments/${d.id}/cameras`, body());
      setTested(null);
      await onSaved();
    });
  };
  return (
    <div class="panel">
      <h2>Cameras</h2>
      <Table caption="Cameras of this deployment" head={["Camera", "Source", "Where"]}
        rows={cams.map((c) => [c.camera_id, `${c.source}: ${c.uri}`, c.location_name])} empty="No camera yet." />
      <form onSubmit={add} aria-labelledby="add-cam">
        <h3 id="add-cam">Add a camera</h3>
        <Field label="Camera id" value={cameraId} onValue={setCameraId} required pattern="[A-Za-z0-9._-]{1,64}" />
        <Select label="Source" value={source} onValue={setSource} options={[["video", "Video file"], ["stream", "Stream (RTSP/HTTP)"], ["webcam", "Webcam"], ["images", "Folder of images"]]} />
        <Field label="URI" value={uri} onValue={setUri} required hint="A file path, rtsp://… or a device number" />
        <Field label="Where it is" value={place} onValue={setPlace} />
        <div class="row">
          <button type="button" onClick={test} disabled={busy || !uri}>{busy ? "Working…" : "Test camera"}</button>
          <button class="primary" type="submit" disabled={busy}>Add camera</button>
        </div>
        <Problem error={error} />
      </form>
      {tested && <CameraTestResult result={tested} />}
      <a class="next" href={href("admin", "d", d.id, "watchlist")}>Next: watchlist</a>
    </div>
  );
}

function AuthorisationStatus({ d }: { d: Deployment }) {
  if (!d.authorised_at) {
    return (
      <div class="panel">
        <h2>Authorisation</h2>
        <Notice>Waiting for an authorising officer. They see the purpose, the watchlist and the false alerts it is predicted to raise, and authorise it or not.</Notice>
      </div>
    );
  }
  return (
    <div class="panel">
      <h2>Authorisation</h2>
      <dl class="facts">
        <dt>Authorised by</dt><dd>{d.authorised_by}, {when(d.authorised_at)}</dd>
        <dt>Window</dt><dd>{when(d.authorised_start)} – {when(d.authorised_end)}</dd>
        <dt>Purpose</dt><dd>{d.purpose}</dd>
        <dt>Legal basis</dt><dd>{d.legal_basis}</dd>
        <dt>Necessity</dt><dd>{d.necessity}</dd>
        <dt>Proportionality</dt><dd>{d.proportionality}</dd>
        <dt>Watchlist criteria</dt><dd>{d.watchlist_criteria}</dd>
        <dt>Community impact</dt><dd>{d.community_impact_ref}</dd>
      </dl>
      <a class="next" href={href("admin", "d", d.id, "officers")}>Next: officers</a>
    </div>
  );
}

function Officers({ session, d, assigned, onSaved }: { session: Session; d: Deployment; assigned: Assignment[]; onSaved: () => Promise<void> }) {
  const [users, setUsers] = useState<User[]>([]);
  const [pick, setPick] = useState("");
  const [node, setNode] = useState("gate-node");
  const [key, setKey] = useState<ServiceAccount | null>(null);
  const [busy, error, run] = useAction();
  useEffect(() => void request<User[]>(session, "GET", "/users").then(setUsers), [session]);
  const eligible = users.filter((u) => (u.role === "officer" || u.role === "supervisor") && u.active && !assigned.some((a) => a.user_id === u.id));
  const name = (id: string) => users.find((u) => u.id === id)?.username ?? id;
  return (
    <div class="panel">
      <h2>Officers and camera nodes</h2>
      <Table caption="Assigned officers and supervisors" head={["Who", "Assigned", ""]}
        rows={assigned.map((a) => [name(a.user_id), when(a.assigned_at),
          <button type="button" onClick={() => void run(async () => { await request(session, "DELETE", `/deployments/${d.id}/assignments/${a.user_id}`); await onSaved(); })}>Unassign {name(a.user_id)}</button>])} />
      <form onSubmit={(e) => { e.preventDefault(); void run(async () => { await request(session, "POST", `/deployments/${d.id}/assignments`, { user_id: pick || eligible[0]?.id }); setPick(""); await onSaved(); }); }} aria-label="Assign an officer">
        <Select label="Officer or supervisor" value={pick || eligible[0]?.id || ""} onValue={setPick} options={eligible.map((u) => [u.id, `${u.username} (${u.role})`])} />
        <button class="primary" type="submit" disabled={busy || eligible.length === 0}>Assign</button>
      </form>
      <form onSubmit={(e) => { e.preventDefault(); void run(async () => setKey(await request<ServiceAccount>(session, "POST", `/deployments/${d.id}/service-accounts`, { name: node }))); }} aria-labelledby="nodes-h">
        <h3 id="nodes-h">Camera node (service account)</h3>
        <Field label="Node name" value={node} onValue={setNode} required pattern="[A-Za-z0-9._-]{1,64}" />
        <button type="submit" disabled={busy}>Create key</button>
      </form>
      {key?.api_key && (
        <div class="key" role="status">
          <p><strong>Key for {key.name}, shown once:</strong> copy it to the node now (<code>LFR_NODE_KEY</code>). It cannot be shown again.</p>
          <code class="secret">{key.api_key}</code>
        </div>
      )}
      <Problem error={error} />
      <a class="next" href={href("admin", "d", d.id, "notice")}>Next: public notice</a>
    </div>
  );
}

function NoticeStep({ session, d, onSaved }: { session: Session; d: Deployment; onSaved: () => Promise<void> }) {
  const [busy, error, run] = useAction();
  return (
    <div class="panel">
      <h2>Public notice</h2>
      {d.published_at ? <Notice>Published {when(d.published_at)}: anyone can read it at /public/deployments (place, times, purpose, retention; never the watchlist).</Notice> :
        d.authorised_at ? <button class="primary" type="button" disabled={busy} onClick={() => void run(async () => { await request(session, "POST", `/deployments/${d.id}/publish`); await onSaved(); })}>Publish the notice</button> :
          <Notice>The notice can be published once the deployment is authorised.</Notice>}
      <Problem error={error} />
      <a class="next" href={href("admin", "d", d.id, "live")}>Next: start</a>
    </div>
  );
}

function Live({ session, d, onSaved }: { session: Session; d: Deployment; onSaved: () => Promise<void> }) {
  const [note, setNote] = useState("");
  const [steps, setSteps] = useState<Transition[]>([]);
  const [busy, error, run] = useAction();
  useEffect(() => void request<Transition[]>(session, "GET", `/deployments/${d.id}/transitions`).then(setSteps), [session, d]);
  const act = (action: "start" | "close") => void run(async () => {
    await request(session, "POST", `/deployments/${d.id}/${action}`, { note });
    setNote("");
    await onSaved();
  });
  return (
    <div class="panel">
      <h2>Start and close</h2>
      <p>Going live starts the cameras' pipelines; it is refused outside the authorised window ({when(d.authorised_start)} – {when(d.authorised_end)}). Closing destroys the watchlist.</p>
      <TextArea label="Note for the record (optional)" value={note} onValue={setNote} />
      <div class="row">
        {d.state === "authorised" && <button class="primary" type="button" disabled={busy} onClick={() => act("start")}>Go live</button>}
        {(d.state === "live" || d.state === "authorised") && <button class="danger" type="button" disabled={busy} onClick={() => act("close")}>Close the deployment</button>}
      </div>
      <Problem error={error} />
      <Table caption="Lifecycle" head={["From", "To", "Who", "When", "Note"]} rows={steps.map((s) => [s.from_state || "—", s.to_state, s.actor, when(s.at), s.note])} />
    </div>
  );
}

const ROLES: [string, string][] = [["officer", "Officer"], ["supervisor", "Supervisor (control room)"], ["admin", "Admin"], ["authorising_officer", "Authorising officer"], ["compliance", "Compliance"]];

export function AdminUsers({ session }: { session: Session }) {
  const [users, setUsers] = useState<User[]>([]);
  const [username, setUsername] = useState("");
  const [display, setDisplay] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<User["role"]>("officer");
  const [busy, error, run] = useAction();
  const load = () => request<User[]>(session, "GET", "/users").then(setUsers);
  useEffect(() => void load(), [session]);
  const toggle = (u: User) => void run(async () => { await request(session, "PATCH", `/users/${u.id}`, { active: !u.active }); await load(); });
  return (
    <section aria-labelledby="users-h">
      <h1 id="users-h">Users and roles</h1>
      <Table caption="Users" head={["Username", "Name", "Role", "State", ""]}
        rows={users.map((u) => [u.username, u.display_name,
          <select aria-label={`Role of ${u.username}`} value={u.role} disabled={busy}
            onChange={(e) => { const next = (e.target as HTMLSelectElement).value; void run(async () => { await request(session, "PATCH", `/users/${u.id}`, { role: next }); await load(); }); }}>
            {ROLES.map(([v, t]) => <option key={v} value={v}>{t}</option>)}
          </select>, u.active ? "active" : "disabled",
          <button type="button" onClick={() => toggle(u)}>{u.active ? `Disable ${u.username}` : `Enable ${u.username}`}</button>])} />
      <form class="panel" aria-labelledby="new-user" onSubmit={(e) => { e.preventDefault(); void run(async () => { await request(session, "POST", "/users", { username, display_name: display, password, role }); setUsername(""); setPassword(""); setDisplay(""); await load(); }); }}>
        <h2 id="new-user">New user</h2>
        <Field label="Username" value={username} onValue={setUsername} required autoComplete="off" />
        <Field label="Full name" value={display} onValue={setDisplay} />
        <Field label="Password (12 characters or more)" type="password" value={password} onValue={setPassword} required minLength={12} autoComplete="new-password" />
        <Select label="Role" value={role} onValue={setRole} options={ROLES} />
        <button class="primary" type="submit" disabled={busy}>Create user</button>
        <Problem error={error} />
      </form>
    </section>
  );
}
