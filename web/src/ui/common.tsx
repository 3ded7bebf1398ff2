// Small building blocks shared by every screen.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useId, useState } from "preact/hooks";
import { describe, requestBlob, type Session } from "../api/client";

export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  return <p class="problem" role="alert">{describe(error)}</p>;
}

export function Notice({ children }: { children: ComponentChildren }) {
  return <p class="notice" role="status">{children}</p>;
}

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "onInput" | "value" | "label"> & {
  label: string; value: string; onValue: (value: string) => void; hint?: string;
};

export function Field({ label, value, onValue, hint, ...rest }: InputProps) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} value={value} aria-describedby={hint ? `${id}-hint` : undefined}
        onInput={(e) => onValue((e.target as HTMLInputElement).value)} {...rest} />
      {hint && <small id={`${id}-hint`}>{hint}</small>}
    </div>
  );
}

export function TextArea({ label, value, onValue, hint, required }: { label: string; value: string; onValue: (v: string) => void; hint?: string; required?: boolean }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea id={id} value={value} required={required} rows={3} aria-describedby={hint ? `${id}-hint` : undefined}
        onInput={(e) => onValue((e.target as HTMLTextAreaElement).value)} />
      {hint && <small id={`${id}-hint`}>{hint}</small>}
    </div>
  );
}

export function Select<T extends string>({ label, value, onValue, options }: { label: string; value: T; onValue: (v: T) => void; options: [T, string][] }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onValue((e.target as HTMLSelectElement).value as T)}>
        {options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
      </select>
    </div>
  );
}

/** "2 min ago", refreshed every 15 s; the exact time is in the title and datetime. */
export function TimeAgo({ at }: { at: string }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = window.setInterval(() => tick((n) => n + 1), 15_000);
    return () => window.clearInterval(t);
  }, []);
  return <time dateTime={at} title={new Date(at).toLocaleString("en-GB")}>{ago(at)}</time>;
}

export function ago(at: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - new Date(at).getTime()) / 1000));
  if (s < 45) return "just now";
  if (s < 90) return "1 min ago";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 5400) return "1 hour ago";
  if (s < 86400) return `${Math.round(s / 3600)} hours ago`;
  return new Date(at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

export function when(at: string | null | undefined): string {
  return at ? new Date(at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "—";
}

/**
 * An image the API serves only to an authorised caller: fetched with the bearer token
 * (no-store), shown from an object URL that is revoked when the image goes. Nothing of it
 * is written to any cache or storage.
 */
export function SecureImage({ session, path, alt, class: cls }: { session: Session; path: string | null; alt: string; class?: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    if (!path) return;
    let live = true;
    let made: string | null = null;
    requestBlob(session, path).then((blob) => {
      if (!live) return;
      made = URL.createObjectURL(blob);
      setUrl(made);
    }, (error: unknown) => live && setFailed(describe(error)));
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
      setUrl(null);
    };
  }, [path, session]);
  if (!path) return <div class={`image-missing ${cls ?? ""}`} role="img" aria-label={`${alt}: not available (deleted or never sent)`}>Not available</div>;
  if (failed) return <div class={`image-missing ${cls ?? ""}`} role="img" aria-label={`${alt}: ${failed}`}>{failed}</div>;
  if (!url) return <div class={`image-loading ${cls ?? ""}`} role="img" aria-label={`${alt}: loading`} aria-busy="true" />;
  return <img class={cls} src={url} alt={alt} />;
}

export function Table({ caption, head, rows, empty }: { caption: string; head: string[]; rows: ComponentChildren[][]; empty?: string }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead><tr>{head.map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
        <tbody>
          {rows.length === 0 ? <tr><td colSpan={head.length}>{empty ?? "None."}</td></tr> :
            rows.map((cells, i) => <tr key={i}>{cells.map((c, j) => <td key={j}>{c}</td>)}</tr>)}
        </tbody>
      </table>
    </div>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge badge-${state}`}>{state}</span>;
}

/** Run an async action with a busy flag and an error. */
export function useAction(): [boolean, unknown, (run: () => Promise<void>) => Promise<void>, (e: unknown) => void] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return [busy, error, run, setError];
}

export const CATEGORY: Record<string, string> = {
  wanted_serious_offence: "Wanted: serious offence",
  outstanding_warrant: "Outstanding warrant",
  missing_vulnerable: "Missing, vulnerable",
  risk_of_harm: "Risk of harm",
  other: "Other",
};

export const OUTCOME: Record<string, string> = {
  arrested: "Arrested",
  words_of_advice: "Words of advice",
  no_further_action: "No further action",
  false_alert_not_the_person: "Not the person",
  not_located: "Not located",
  other: "Other",
};

export const ASSESSMENT: Record<string, string> = {
  true_alert: "True alert",
  confirmed_true_alert: "Confirmed true alert",
  false_alert: "False alert",
  confirmed_false_alert: "Confirmed false alert",
};
