// The officer, on a phone: the deployments they are assigned to, then one deployment's live
// alerts with the newest waiting for a decision on top.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { request, type Session } from "../api/client";
import type { Alert, Deployment, Me } from "../api/types";
import { askForNotifications, attend, notificationsAvailable } from "../attention";
import { Feed, type FeedState } from "../feed/feed";
import { dismiss, flush, onQueueChange, type QueuedDecision } from "../offline/queue";
import { href } from "../router";
import { CATEGORY, Problem, StateBadge, TimeAgo, when } from "../ui/common";
import { AlertCard } from "./alert-card";

export function OfficerHome({ session }: { session: Session }) {
  const [deployments, setDeployments] = useState<Deployment[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    request<Deployment[]>(session, "GET", "/deployments").then(setDeployments, setError);
  }, [session]);
  return (
    <section aria-labelledby="mine">
      <h1 id="mine">My deployments</h1>
      <Problem error={error} />
      {deployments && deployments.length === 0 && <p>You are not assigned to any deployment.</p>}
      <ul class="cards">
        {deployments?.map((d) => (
          <li key={d.id}>
            <a class="card-link" href={href("officer", "d", d.id)}>
              <strong>{d.name}</strong> <StateBadge state={d.state} />
              <span>{d.location}</span>
              <span class="muted">{when(d.authorised_start)} – {when(d.authorised_end)}</span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

const STATE_TEXT: Record<FeedState, string> = {
  connecting: "Connecting…", connected: "Connected", reconnecting: "Reconnecting…", offline: "Offline", stopped: "Not receiving alerts",
};

export function useFeed(session: Session, deploymentId: string, onLive?: (a: Alert) => void) {
  const [alerts, setAlerts] = useState<Map<string, Alert>>(new Map());
  const [state, setState] = useState<{ state: FeedState; detail: string }>({ state: "connecting", detail: "" });
  const live = useRef(onLive);
  live.current = onLive;
  useEffect(() => {
    // Recent alerts first (the feed's backlog holds only what is pending), then the feed,
    // whose messages are newer and win.
    let active = true;
    request<Alert[]>(session, "GET", `/deployments/${deploymentId}/alerts?limit=50`).then((recent) => {
      if (!active) return;
      setAlerts((old) => {
        const merged = new Map(recent.map((a) => [a.id, a]));
        for (const [id, a] of old) merged.set(id, a);
        return merged;
      });
    }, () => undefined);
    const feed = new Feed(session, deploymentId, {
      alert(alert, isLive) {
        setAlerts((old) => new Map(old).set(alert.id, alert));
        if (isLive) live.current?.(alert);
      },
      state(s, detail) {
        setState({ state: s, detail });
        if (s === "connected") void flush(session);
      },
    });
    feed.start();
    const online = () => void flush(session);
    window.addEventListener("online", online);
    return () => {
      active = false;
      window.removeEventListener("online", online);
      feed.stop();
    };
  }, [session, deploymentId]);
  const update = (a: Alert) => setAlerts((old) => new Map(old).set(a.id, a));
  return { alerts, state, update };
}

export function FeedStatus({ state, detail }: { state: FeedState; detail: string }) {
  return (
    <p class={`feed-status feed-${state}`} role="status" aria-live="polite" data-feed-state={state}>
      <span class="dot" aria-hidden="true" /> {STATE_TEXT[state]}{detail ? ` — ${detail}` : ""}
    </p>
  );
}

function useQueue(): Map<string, QueuedDecision> {
  const [items, setItems] = useState<Map<string, QueuedDecision>>(new Map());
  useEffect(() => onQueueChange((all) => setItems(new Map(all.map((i) => [i.alertId, i])))), []);
  return items;
}

export function OfficerDeployment({ session, me, deploymentId, alertId }: { session: Session; me: Me; deploymentId: string; alertId?: string }) {
  const [deployment, setDeployment] = useState<Deployment | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [permission, setPermission] = useState(notificationsAvailable() ? Notification.permission : "denied");
  const { alerts, state, update } = useFeed(session, deploymentId, attend);
  const queued = useQueue();
  useEffect(() => {
    request<Deployment>(session, "GET", `/deployments/${deploymentId}`).then(setDeployment, setError);
  }, [session, deploymentId]);
  useEffect(() => {
    // Sent decisions are shown once the feed confirms them, then forgotten.
    for (const [id, item] of queued) if (item.state === "sent" && alerts.get(id)?.decision) void dismiss(id);
  }, [queued, alerts]);
  const sorted = useMemo(() => [...alerts.values()].sort((a, b) => b.raised_at.localeCompare(a.raised_at)), [alerts]);
  const pending = sorted.filter((a) => a.state === "pending");
  // The card stays on screen after the decision (so the officer sees it recorded) until
  // they move on; a new alert waits in the list below meanwhile.
  const [held, setHeld] = useState<string | null>(null);
  const focus = alertId ? alerts.get(alertId) : (held ? alerts.get(held) : undefined) ?? pending[0];
  useEffect(() => {
    if (!alertId && focus && held !== focus.id) setHeld(focus.id);
  }, [alertId, focus, held]);
  const next = pending.find((a) => a.id !== focus?.id);
  const rest = sorted.filter((a) => a !== focus);
  return (
    <section aria-labelledby="dep-title" class="officer">
      <h1 id="dep-title">{deployment?.name ?? "Deployment"}</h1>
      <FeedStatus {...state} />
      <Problem error={error} />
      {permission === "default" && (
        <button type="button" onClick={() => void askForNotifications().then(setPermission)}>Alert me when the app is in the background</button>
      )}
      {focus ? (
        <>
          <AlertCard session={session} me={me} alert={focus} queued={queued.get(focus.id)} onChanged={update} />
          {focus.state === "decided" && next && (
            <button type="button" class="primary" onClick={() => { setHeld(next.id); if (alertId) location.hash = href("officer", "d", deploymentId); }}>
              Next alert waiting ({pending.length})
            </button>
          )}
        </>
      ) : (
        <p class="quiet">No alert waiting for a decision.</p>
      )}
      {rest.length > 0 && (
        <>
          <h2>Earlier alerts</h2>
          <ul class="alert-list">
            {rest.map((a) => (
              <li key={a.id}>
                <a href={href("officer", "d", deploymentId, "a", a.id)} data-alert-row={a.id}>
                  <StateBadge state={queued.has(a.id) && a.state === "pending" ? "queued" : a.state} />
                  <span>{CATEGORY[a.watchlist_entry.category] ?? a.watchlist_entry.category}: {a.watchlist_entry.reference}</span>
                  <TimeAgo at={a.raised_at} />
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
