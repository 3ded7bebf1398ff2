// Watchlist enrolment with per-image quality feedback: each photo is checked as it is chosen
// (one face, big and sharp enough) and the refusal reason is shown when it is unusable.
import { useEffect, useState } from "preact/hooks";
import { request, type Session } from "../api/client";
import type { Deployment, Entry, ImageCheck } from "../api/types";
import { href } from "../router";
import { CATEGORY, Field, Notice, Problem, Select, Table, TextArea, useAction, when } from "../ui/common";

export function Watchlist({ session, d, onChanged }: { session: Session; d: Deployment; onChanged: () => Promise<void> }) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [reference, setReference] = useState("");
  const [category, setCategory] = useState("wanted_serious_offence");
  const [reason, setReason] = useState("");
  const [source, setSource] = useState("");
  const [lawful, setLawful] = useState(false);
  const [files, setFiles] = useState<File[]>([]);
  const [checks, setChecks] = useState<ImageCheck[] | null>(null);
  const [checking, checkError, runCheck] = useAction();
  const [busy, error, run] = useAction();
  const load = () => request<Entry[]>(session, "GET", `/deployments/${d.id}/watchlist`).then(setEntries);
  useEffect(() => void load(), [session, d.id]);
  const choose = (list: FileList | null) => {
    const chosen = list ? [...list] : [];
    setFiles(chosen);
    setChecks(null);
    if (chosen.length === 0) return;
    void runCheck(async () => {
      const form = new FormData();
      for (const f of chosen) form.append("images", f, f.name);
      setChecks(await request<ImageCheck[]>(session, "POST", `/deployments/${d.id}/watchlist-check`, form));
    });
  };
  const allGood = checks !== null && checks.length > 0 && checks.every((c) => c.accepted);
  const enrol = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const form = new FormData();
      form.append("reference", reference);
      form.append("category", category);
      form.append("reason", reason);
      form.append("image_source", source);
      form.append("lawfully_held", lawful ? "true" : "false");
      for (const f of files) form.append("images", f, f.name);
      await request<Entry>(session, "POST", `/deployments/${d.id}/watchlist`, form);
      setReference(""); setReason(""); setFiles([]); setChecks(null); setLawful(false);
      const input = document.getElementById("wl-images") as HTMLInputElement | null;
      if (input) input.value = "";
      await load();
      await onChanged();
    });
  };
  const remove = (entry: Entry) => void run(async () => {
    await request(session, "DELETE", `/deployments/${d.id}/watchlist/${entry.id}`);
    await load();
    await onChanged();
  });
  const closed = d.state === "closed";
  return (
    <div class="panel">
      <h2>Watchlist ({entries.length} {entries.length === 1 ? "person" : "people"})</h2>
      <p class="muted">A bespoke watchlist for this deployment only. It is destroyed when the deployment closes.</p>
      <Table caption="Watchlist entries (no images are shown here)" head={["Reference", "Category", "Reason", "Images", "Added", ""]}
        rows={entries.map((e) => [e.reference, CATEGORY[e.category] ?? e.category, e.reason, String(e.images?.length ?? 0), when(e.added_at),
          closed ? "" : <button type="button" onClick={() => remove(e)}>Remove {e.reference}</button>])} empty="Nobody is on the watchlist yet." />
      {closed ? <Notice>The deployment is closed: its watchlist was destroyed.</Notice> : (
        <form onSubmit={enrol} aria-labelledby="enrol-h">
          <h3 id="enrol-h">Add a person</h3>
          <Field label="Reference (warrant or case number)" value={reference} onValue={setReference} required />
          <Select label="Category" value={category} onValue={setCategory} options={Object.entries(CATEGORY) as [string, string][]} />
          <TextArea label="Why they are sought" value={reason} onValue={setReason} required />
          <Field label="Where the image comes from" value={source} onValue={setSource} required hint="e.g. custody record 2024-03-02; use the most recent suitable image" />
          <div class="field check">
            <input id="wl-lawful" type="checkbox" checked={lawful} onChange={(e) => setLawful((e.target as HTMLInputElement).checked)} />
            <label for="wl-lawful">The images are lawfully held by the force</label>
          </div>
          <div class="field">
            <label for="wl-images">Photos (one face each)</label>
            <input id="wl-images" type="file" accept="image/*" multiple onChange={(e) => choose((e.target as HTMLInputElement).files)} />
          </div>
          {checking && <p role="status">Checking the photos…</p>}
          <Problem error={checkError} />
          {checks && (
            <ul class="checks" aria-label="Photo checks">
              {checks.map((c) => (
                <li key={c.filename} class={c.accepted ? "ok" : "bad"} data-check={c.check ?? "accepted"}>
                  <strong>{c.accepted ? "✓ Usable" : "✗ Refused"}</strong> {c.filename}: {c.message}
                  {c.face_px !== null && c.face_px !== undefined && <span class="muted"> (minimum {Math.round(c.min_face_px)} px high, sharpness {Math.round(c.min_sharpness)})</span>}
                </li>
              ))}
            </ul>
          )}
          <button class="primary" type="submit" disabled={busy || !allGood || !lawful}>Enrol</button>
          {!allGood && checks && <p class="muted">Replace the refused photos to enrol: nothing is stored unless every photo is usable.</p>}
          <Problem error={error} />
        </form>
      )}
      <a class="next" href={href("admin", "d", d.id, "authorisation")}>Next: authorisation</a>
    </div>
  );
}
