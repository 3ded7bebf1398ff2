// The alert card: probe and watchlist image side by side, why the person is wanted, score
// and threshold, camera, place and time, the probe's quality, who else is looking; then
// engage / no engage in one tap, the outcome (the four South Wales Police outcomes mapped
// onto the API's), a note. Works offline: the decision is queued and sent on reconnect.
import { useEffect, useState } from "preact/hooks";
import { ApiError, describe, request, type Session } from "../api/client";
import type { Alert, Assessment, DecisionIn, Me, Outcome, Viewer } from "../api/types";
import { decide, dismiss, type QueuedDecision } from "../offline/queue";
import { ASSESSMENT, CATEGORY, OUTCOME, Problem, SecureImage, TimeAgo, when } from "../ui/common";

const CHOICES: Record<"engage" | "no_engage", { assessment: Assessment; label: string; outcomes: Outcome[] }[]> = {
  engage: [
    { assessment: "confirmed_true_alert", label: "It was the person (confirmed true alert)", outcomes: ["arrested", "words_of_advice", "no_further_action", "other"] },
    { assessment: "confirmed_false_alert", label: "It was not the person (confirmed false alert)", outcomes: ["false_alert_not_the_person"] },
  ],
  no_engage: [
    { assessment: "true_alert", label: "Judged it was the person, not engaged (true alert)", outcomes: ["not_located", "no_further_action", "other"] },
    { assessment: "false_alert", label: "Judged it was not the person (false alert)", outcomes: ["false_alert_not_the_person"] },
  ],
};

function Quality({ alert }: { alert: Alert }) {
  const q = alert.probe_quality;
  if (!q) return <dd>not measured</dd>;
  const sharp = q.sharpness >= 60 ? "sharp" : q.sharpness >= 20 ? "usable" : "blurred";
  return <dd>face ≈ {Math.round(q.face_px)} px high · {sharp} (sharpness {Math.round(q.sharpness)}) · crop {q.width}×{q.height}</dd>;
}

function useViewers(session: Session, alert: Alert, activity: "viewing" | "engaging", enabled: boolean): Viewer[] {
  const [viewers, setViewers] = useState<Viewer[]>([]);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    const beat = () => request<Viewer[]>(session, "PUT", `/alerts/${alert.id}/viewers`, { activity })
      .then((v) => live && setViewers(v), () => undefined);
    void beat();
    const timer = window.setInterval(beat, 10_000);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [alert.id, activity, enabled, session]);
  useEffect(() => () => {
    if (enabled) void request(session, "DELETE", `/alerts/${alert.id}/viewers`).catch(() => undefined);
  }, [alert.id, enabled, session]);
  return viewers;
}

export function AlertCard({ session, me, alert, queued, onChanged, compact = false }: {
  session: Session; me: Me; alert: Alert; queued?: QueuedDecision; onChanged: (a: Alert) => void; compact?: boolean;
}) {
  const canDecide = me.role === "officer" || me.role === "supervisor";
  const canSeeImages = me.role === "officer" || me.role === "supervisor" || me.role === "admin";
  const [choice, setChoice] = useState<"engage" | "no_engage" | null>(null);
  const viewers = useViewers(session, alert, choice === "engage" ? "engaging" : "viewing", canSeeImages && !compact);
  const others = viewers.filter((v) => !v.me);
  const entry = alert.watchlist_entry;
  const heading = `${CATEGORY[entry.category] ?? entry.category}: ${entry.reference}`;
  return (
    <article class={`alert-card state-${alert.state}`} data-alert-id={alert.id} aria-labelledby={`h-${alert.id}`}>
      <header>
        <h2 id={`h-${alert.id}`}>{heading}</h2>
        <p class="reason">{entry.reason}</p>
      </header>
      {canSeeImages && (
        <div class="faces">
          <figure>
            <SecureImage session={session} path={alert.links.probe_crop} alt="Face seen by the camera" class="face" />
            <figcaption>Camera</figcaption>
          </figure>
          <figure>
            <SecureImage session={session} path={alert.links.watchlist_image} alt="Watchlist image" class="face" />
            <figcaption>Watchlist</figcaption>
          </figure>
        </div>
      )}
      <dl class="facts">
        <dt>Score</dt><dd><strong>{alert.score.toFixed(3)}</strong> (threshold {alert.threshold.toFixed(3)})</dd>
        <dt>Camera</dt><dd>{alert.camera.location || alert.camera.id} <span class="muted">({alert.camera.id})</span></dd>
        <dt>Seen</dt><dd><TimeAgo at={alert.raised_at} /></dd>
        <dt>Probe</dt><Quality alert={alert} />
        {!compact && canSeeImages && <><dt>Also looking</dt><dd class="viewers">{others.length === 0 ? "nobody else" :
          others.map((v) => `${v.username}${v.activity === "engaging" ? " (engaging)" : ""}`).join(", ")}</dd></>}
      </dl>
      {queued && (queued.state !== "sent" || !alert.decision) && <QueuedNote item={queued} />}
      {alert.decision ? <Decided alert={alert} /> :
        queued ? null :
        canDecide && !compact ? <Decide session={session} alert={alert} choice={choice} setChoice={setChoice} onChanged={onChanged} /> : null}
      {alert.decision && me.role === "supervisor" && !compact && <Amend session={session} alert={alert} onChanged={onChanged} />}
    </article>
  );
}

function Decided({ alert }: { alert: Alert }) {
  const d = alert.decision;
  if (!d) return null;
  return (
    <section class="decided" aria-label="Decision">
      <p><strong>{d.decision === "engage" ? "Engaged" : "Not engaged"}</strong>: {OUTCOME[d.outcome] ?? d.outcome}
        {d.assessment ? ` — ${ASSESSMENT[d.assessment] ?? d.assessment}` : ""}</p>
      <p class="muted">by {d.decided_by.replace(/^user:/, "")}, {when(d.decided_at)}{d.amended ? ` (amended: ${d.reason ?? ""})` : ""}</p>
      {d.note && <p>Note: {d.note}</p>}
    </section>
  );
}

function QueuedNote({ item }: { item: QueuedDecision }) {
  const text: Record<QueuedDecision["state"], string> = {
    queued: "Saved on this phone: it will be sent when the connection is back.",
    sending: "Sending…",
    sent: "Sent.",
    conflict: item.detail,
    failed: `Not sent: ${item.detail}`,
  };
  return (
    <div class={`queued queued-${item.state}`} role="status">
      <p>Your decision {item.body.decision === "engage" ? "engage" : "no engage"} ({OUTCOME[item.body.outcome]}): {text[item.state]}</p>
      {(item.state === "conflict" || item.state === "failed") && <button type="button" onClick={() => void dismiss(item.alertId)}>Dismiss</button>}
    </div>
  );
}

function Decide({ session, alert, choice, setChoice, onChanged }: {
  session: Session; alert: Alert; choice: "engage" | "no_engage" | null; setChoice: (c: "engage" | "no_engage" | null) => void; onChanged: (a: Alert) => void;
}) {
  const [assessment, setAssessment] = useState<Assessment | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [note, setNote] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const options = choice ? CHOICES[choice] : [];
  const picked = options.find((o) => o.assessment === assessment);
  const outcomes = picked?.outcomes ?? [];
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!choice || !picked) return;
    const body: DecisionIn = { decision: choice, outcome: outcome ?? outcomes[0] ?? "other", assessment: picked.assessment, note };
    setBusy(true);
    setError(null);
    try {
      const result = await decide(session, alert, body);
      if (result.alert) onChanged(result.alert);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        const c = err.problem.current;
        setConflict(`Already decided by ${(c?.decided_by ?? "another officer").replace(/^user:/, "")}${c?.decided_at ? ` at ${when(c.decided_at)}` : ""}: ${c?.decision === "engage" ? "engage" : "no engage"}, ${OUTCOME[c?.outcome ?? ""] ?? c?.outcome ?? ""}${c?.assessment ? ` (${ASSESSMENT[c.assessment] ?? c.assessment})` : ""}.`);
        void request<Alert>(session, "GET", `/alerts/${alert.id}`).then(onChanged, () => undefined);
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="decide" onSubmit={submit} aria-label="Decide">
      {conflict && <p class="problem" role="alert">{conflict}</p>}
      <div class="two" role="group" aria-label="Engage or not">
        <button type="button" class={`big engage ${choice === "engage" ? "chosen" : ""}`} aria-pressed={choice === "engage"}
          onClick={() => { setChoice("engage"); setAssessment(null); setOutcome(null); }}>Engage</button>
        <button type="button" class={`big no-engage ${choice === "no_engage" ? "chosen" : ""}`} aria-pressed={choice === "no_engage"}
          onClick={() => { setChoice("no_engage"); setAssessment(null); setOutcome(null); }}>No engage</button>
      </div>
      {choice && (
        <fieldset>
          <legend>Outcome</legend>
          {options.map((o) => (
            <label class="radio" key={o.assessment}>
              <input type="radio" name={`assessment-${alert.id}`} value={o.assessment} checked={assessment === o.assessment}
                onChange={() => { setAssessment(o.assessment); setOutcome(o.outcomes[0] ?? null); }} />
              {o.label}
            </label>
          ))}
        </fieldset>
      )}
      {picked && outcomes.length > 1 && (
        <fieldset>
          <legend>What happened</legend>
          {outcomes.map((o) => (
            <label class="radio" key={o}>
              <input type="radio" name={`outcome-${alert.id}`} value={o} checked={outcome === o} onChange={() => setOutcome(o)} />
              {OUTCOME[o]}
            </label>
          ))}
        </fieldset>
      )}
      {picked && (
        <>
          <div class="field">
            <label for={`note-${alert.id}`}>Note (optional)</label>
            <textarea id={`note-${alert.id}`} rows={2} maxLength={2000} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
          </div>
          <button type="submit" class="primary" disabled={busy}>{busy ? "Recording…" : "Record decision"}</button>
        </>
      )}
      <Problem error={error} />
    </form>
  );
}

function Amend({ session, alert, onChanged }: { session: Session; alert: Alert; onChanged: (a: Alert) => void }) {
  const [open, setOpen] = useState(false);
  const [decision, setDecision] = useState<"engage" | "no_engage">(alert.decision?.decision === "no_engage" ? "no_engage" : "engage");
  const [outcome, setOutcome] = useState<Outcome>((alert.decision?.outcome ?? "other") as Outcome);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  if (!open) return <button type="button" onClick={() => setOpen(true)}>Amend decision</button>;
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      onChanged(await request<Alert>(session, "POST", `/alerts/${alert.id}/amendments`, { decision, outcome, reason, note: alert.decision?.note ?? "" }));
      setOpen(false);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="amend" onSubmit={submit} aria-label="Amend the decision">
      <div class="field"><label for={`ad-${alert.id}`}>Decision</label>
        <select id={`ad-${alert.id}`} value={decision} onChange={(e) => setDecision((e.target as HTMLSelectElement).value as "engage" | "no_engage")}>
          <option value="engage">Engage</option><option value="no_engage">No engage</option>
        </select></div>
      <div class="field"><label for={`ao-${alert.id}`}>Outcome</label>
        <select id={`ao-${alert.id}`} value={outcome} onChange={(e) => setOutcome((e.target as HTMLSelectElement).value as Outcome)}>
          {Object.entries(OUTCOME).map(([v, t]) => <option key={v} value={v}>{t}</option>)}
        </select></div>
      <div class="field"><label for={`ar-${alert.id}`}>Reason for the amendment</label>
        <textarea id={`ar-${alert.id}`} required rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} /></div>
      <button type="submit" class="primary">Amend</button>
      {error ? <p class="problem" role="alert">{describe(error)}</p> : null}
    </form>
  );
}
