// Decisions made while offline, kept in IndexedDB until they are sent. A queued decision
// holds only what the officer decided (alert id, decision, outcome, assessment, note):
// never an image, a template or the alert itself.
import { ApiError, NetworkError, request, type Session } from "../api/client";
import type { Alert, DecisionIn } from "../api/types";

export type QueuedState = "queued" | "sending" | "sent" | "conflict" | "failed";

export interface QueuedDecision {
  alertId: string;
  deploymentId: string;
  body: DecisionIn;
  queuedAt: string;
  state: QueuedState;
  detail: string;
}

const DB = "lfr-offline";
const STORE = "decisions";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "alertId" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB is not available"));
  });
}

async function tx<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = run(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error ?? new Error("IndexedDB transaction failed"));
    });
  } finally {
    db.close();
  }
}

export const queue = {
  all: () => tx<QueuedDecision[]>("readonly", (s) => s.getAll() as IDBRequest<QueuedDecision[]>),
  put: (item: QueuedDecision) => tx("readwrite", (s) => s.put(item)),
  remove: (alertId: string) => tx("readwrite", (s) => s.delete(alertId)),
};

type Listener = (items: QueuedDecision[]) => void;
const listeners = new Set<Listener>();
export function onQueueChange(listener: Listener): () => void {
  listeners.add(listener);
  void queue.all().then(listener);
  return () => listeners.delete(listener);
}
async function changed(): Promise<void> {
  const items = await queue.all();
  for (const l of listeners) l(items);
}

/** Send a decision now; if the network is down, queue it (IndexedDB) to send on reconnect. */
export async function decide(session: Session, alert: Alert, body: DecisionIn): Promise<{ alert?: Alert; queued?: QueuedDecision }> {
  try {
    return { alert: await request<Alert>(session, "POST", `/alerts/${alert.id}/decision`, body) };
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    const item: QueuedDecision = { alertId: alert.id, deploymentId: alert.deployment_id, body, queuedAt: new Date().toISOString(), state: "queued", detail: "" };
    await queue.put(item);
    await changed();
    return { queued: item };
  }
}

let flushing: Promise<void> | null = null;

/** Send every queued decision (on reconnect). Sent ones are removed after being shown. */
export function flush(session: Session): Promise<void> {
  flushing ??= (async () => {
    try {
      for (const item of await queue.all()) {
        if (item.state !== "queued") continue;
        await queue.put({ ...item, state: "sending" });
        await changed();
        try {
          await request<Alert>(session, "POST", `/alerts/${item.alertId}/decision`, item.body);
          await queue.put({ ...item, state: "sent", detail: "Sent." });
        } catch (error) {
          if (error instanceof NetworkError) {
            await queue.put({ ...item, state: "queued" });
            break;
          }
          const conflict = error instanceof ApiError && error.status === 409;
          const current = conflict ? error.problem.current : undefined;
          await queue.put({
            ...item, state: conflict ? "conflict" : "failed",
            detail: conflict ? `Already decided by ${current?.decided_by ?? "another officer"}: ${current?.decision ?? ""} (${current?.outcome ?? ""}).` : error instanceof Error ? error.message : String(error),
          });
        }
        await changed();
      }
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

/** Forget what was shown as sent (or acknowledged by the officer). */
export async function dismiss(alertId: string): Promise<void> {
  await queue.remove(alertId);
  await changed();
}
