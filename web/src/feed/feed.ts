// One deployment's live feed: resume from the last cursor, reconnect with back-off, the close
// codes of the contract (4401 refresh and reconnect; 4403 stop, log out if the refresh
// fails; 1013 / 1001 back off), de-duplication by alert id, a visible connection state.
import { request, type Session } from "../api/client";
import type { Alert, FeedMessage, Me } from "../api/types";

export type FeedState = "connecting" | "connected" | "reconnecting" | "offline" | "stopped";

export interface FeedEvents {
  /** An alert arrived or changed; `live` is false for the backlog sent on connecting. */
  alert(alert: Alert, live: boolean, kind: FeedMessage["type"]): void;
  state(state: FeedState, detail: string): void;
}

const MAX_BACKOFF_MS = 30_000;
/** The mobile contract major version this app speaks (web/e2e/test_web_types.py checks it). */
export const CONTRACT_MAJOR = "2";

export class Feed {
  private socket: WebSocket | null = null;
  private cursor: number | null = null;
  private attempt = 0;
  private timer: number | undefined;
  private stopped = false;
  private opened = false;
  readonly alerts = new Map<string, Alert>();
  state: FeedState = "connecting";

  constructor(private readonly session: Session, readonly deploymentId: string, private readonly events: FeedEvents) {
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    this.socket?.close(1000, "closed by the app");
    this.socket = null;
    this.setState("stopped", "");
  }

  private readonly onOnline = () => {
    if (this.stopped) return;
    this.attempt = 0;
    window.clearTimeout(this.timer);
    if (!this.socket) this.connect();
  };

  // Offline, a socket may linger without carrying anything: drop it, and resume from the
  // last cursor when the device is back online.
  private readonly onOffline = () => {
    if (this.stopped) return;
    window.clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close(1000, "offline");
    }
    this.setState("offline", "This device is offline.");
  };

  private setState(state: FeedState, detail: string): void {
    this.state = state;
    this.events.state(state, detail);
  }

  private url(): string {
    const base = new URL(`/deployments/${encodeURIComponent(this.deploymentId)}/feed`, location.href);
    base.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    if (this.cursor !== null) base.searchParams.set("after", String(this.cursor));
    return base.href;
  }

  private connect(): void {
    if (this.stopped) return;
    if (!navigator.onLine) {
      this.setState("offline", "This device is offline.");
      return;
    }
    this.opened = false;
    this.setState(this.attempt === 0 && this.cursor === null ? "connecting" : "reconnecting", "");
    // The token travels as a subprotocol, never in the URL (URLs end up in access logs).
    const socket = new WebSocket(this.url(), ["lfr.v1", `bearer.${this.session.token ?? ""}`]);
    this.socket = socket;
    socket.onopen = () => {
      this.opened = true;
      this.attempt = 0;
      this.setState("connected", "");
    };
    socket.onmessage = (event) => this.receive(String(event.data));
    socket.onclose = (event) => {
      if (this.socket === socket) this.socket = null;
      void this.closed(event.code, event.reason);
    };
  }

  private receive(raw: string): void {
    let message: FeedMessage;
    try {
      message = JSON.parse(raw) as FeedMessage;
    } catch {
      return;
    }
    if (typeof message.contract_version === "string" && !message.contract_version.startsWith(`${CONTRACT_MAJOR}.`)) {
      this.stop();
      this.setState("stopped", `The service speaks contract ${message.contract_version}: update the app.`);
      return;
    }
    if (!["alert.raised", "alert.pending", "alert.updated"].includes(message.type)) return; // unknown: ignore
    // Contract 2.0: cursors follow the service's commit order, not id order; resume after the
    // last one received (never the highest).
    if (typeof message.cursor === "number") this.cursor = message.cursor;
    const alert = message.alert as Alert;
    const known = this.alerts.get(alert.id);
    // A repeat of an alert already held is not news (the contract: treat it as a repeat).
    const repeat = known !== undefined && message.type !== "alert.updated";
    this.alerts.set(alert.id, repeat && known ? known : alert);
    if (!repeat) this.events.alert(alert, message.type === "alert.raised", message.type);
  }

  private async closed(code: number, reason: string): Promise<void> {
    if (this.stopped) return;
    if (code === 4401 || (!this.opened && code === 1006)) {
      // Token expired (or the handshake was refused, which a browser cannot tell apart):
      // refresh, or find out that the session is over.
      if (code === 4401 ? await this.session.refresh() : await this.stillAllowed()) {
        this.retry(code === 4401 ? 0 : undefined);
      }
      return;
    }
    if (code === 4403 || code === 4404) {
      const allowed = await this.session.refresh();
      this.stopped = true;
      this.setState("stopped", allowed ? `You no longer have access to this deployment (${reason || "refused"}).` : "");
      return;
    }
    this.retry();
  }

  /** After a refused handshake: is the session still good (refreshes a stale token)? */
  private async stillAllowed(): Promise<boolean> {
    try {
      await request<Me>(this.session, "GET", "/auth/me");
      return true;
    } catch {
      // Offline or the server is down: keep trying. A refused session has logged out.
      return this.session.token !== null;
    }
  }

  private retry(delayMs?: number): void {
    if (this.stopped) return;
    const wait = delayMs ?? Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    this.setState(navigator.onLine ? "reconnecting" : "offline", `Next try in ${Math.round(wait / 1000)} s.`);
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.connect(), wait);
  }
}
