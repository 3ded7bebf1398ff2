// The one typed client of the API: bearer tokens, refresh on 401 (once), problem details.
import type { Me, Problem, TokenPair } from "./types";

export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

/** The network could not be reached (offline, server down): the request may be retried. */
export class NetworkError extends Error {}

const STORE = "lfr.session";

interface Stored { access: string; refresh: string; me: Me }

/**
 * Tokens live in sessionStorage (this tab only; gone when it closes), never images or
 * alerts: no biometric data is ever written to the browser's storage.
 */
export class Session {
  private stored: Stored | null;
  private refreshing: Promise<boolean> | null = null;
  private listeners = new Set<() => void>();

  constructor() {
    try {
      this.stored = JSON.parse(sessionStorage.getItem(STORE) ?? "null") as Stored | null;
    } catch {
      this.stored = null;
    }
  }

  get me(): Me | null { return this.stored?.me ?? null; }
  get token(): string | null { return this.stored?.access ?? null; }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private save(stored: Stored | null): void {
    this.stored = stored;
    if (stored) sessionStorage.setItem(STORE, JSON.stringify(stored));
    else sessionStorage.removeItem(STORE);
    for (const l of this.listeners) l();
  }

  async login(username: string, password: string): Promise<Me> {
    const pair = await request<TokenPair>(this, "POST", "/auth/login", { username, password }, false);
    const me = await rawJson<Me>("GET", "/auth/me", undefined, pair.access_token);
    this.save({ access: pair.access_token, refresh: pair.refresh_token, me });
    return me;
  }

  /** Rotate the token pair; false (and logged out) when the refresh token is refused. */
  refresh(): Promise<boolean> {
    if (!this.stored) return Promise.resolve(false);
    this.refreshing ??= (async () => {
      const current = this.stored;
      try {
        if (!current) return false;
        const pair = await rawJson<TokenPair>("POST", "/auth/refresh", { refresh_token: current.refresh });
        this.save({ ...current, access: pair.access_token, refresh: pair.refresh_token });
        return true;
      } catch (error) {
        if (error instanceof ApiError) this.end("Your session ended: log in again.");
        return false;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Why the last session ended (shown on the login screen). */
  endedBecause: string | null = null;

  end(reason: string | null): void {
    this.endedBecause = reason;
    this.save(null);
  }

  async logout(): Promise<void> {
    try {
      if (this.stored) await rawJson("POST", "/auth/logout", undefined, this.stored.access);
    } catch {
      // Logged out here either way; the refresh token expires on its own.
    }
    this.end(null);
  }
}

async function rawJson<T>(method: string, path: string, body?: unknown, token?: string | null): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined && !(body instanceof FormData)) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method, headers, cache: "no-store", credentials: "omit",
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    });
  } catch (error) {
    throw new NetworkError(error instanceof Error ? error.message : String(error));
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const problem = (data && typeof data === "object" ? data : { title: `HTTP ${response.status}`, status: response.status }) as Problem;
    throw new ApiError(response.status, problem);
  }
  return data as T;
}

/** A JSON request as the logged-in user; a 401 refreshes the token once and retries. */
export async function request<T>(session: Session, method: string, path: string, body?: unknown, auth = true): Promise<T> {
  try {
    return await rawJson<T>(method, path, body, auth ? session.token : null);
  } catch (error) {
    if (auth && error instanceof ApiError && error.status === 401 && (await session.refresh())) {
      return rawJson<T>(method, path, body, session.token);
    }
    if (auth && error instanceof ApiError && error.status === 401) session.end("Your session ended: log in again.");
    throw error;
  }
}

/** Bytes as the logged-in user (images, exports): never cached (the API sends no-store too). */
export async function requestBlob(session: Session, path: string): Promise<Blob> {
  const go = async () => {
    let response: Response;
    try {
      response = await fetch(path, { headers: { Authorization: `Bearer ${session.token ?? ""}` }, cache: "no-store", credentials: "omit" });
    } catch (error) {
      throw new NetworkError(error instanceof Error ? error.message : String(error));
    }
    return response;
  };
  let response = await go();
  if (response.status === 401 && (await session.refresh())) response = await go();
  if (!response.ok) {
    let problem = { title: `HTTP ${response.status}`, status: response.status } as Problem;
    try { problem = (await response.json()) as Problem; } catch { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  return response.blob();
}

/** A one-line message for an error, as the user should read it. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.problem.errors?.map((e) => `${e.field}: ${e.message}`).join("; ");
    return fields ? `${error.message} (${fields})` : error.message;
  }
  if (error instanceof NetworkError) return "The service cannot be reached: check the connection.";
  return error instanceof Error ? error.message : String(error);
}
