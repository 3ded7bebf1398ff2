// The app shell: log in, then the screens of the caller's role.
import { useEffect, useState } from "preact/hooks";
import { request, Session } from "./api/client";
import type { Me, Role } from "./api/types";
import { unlockSound } from "./attention";
import { href, useRoute } from "./router";
import { Field, Problem, useAction } from "./ui/common";
import { AdminDeployment, AdminHome, AdminUsers } from "./views/admin";
import { AuthoriseDeployment, AuthoriseHome } from "./views/authorise";
import { ComplianceHome } from "./views/compliance";
import { ControlRoom } from "./views/control-room";
import { OfficerDeployment, OfficerHome } from "./views/officer";

const ROLE_NAME: Record<Role, string> = {
  officer: "Officer", supervisor: "Control room", admin: "Admin", authorising_officer: "Authorising officer", compliance: "Compliance",
};

const NAV: Record<Role, [string, string][]> = {
  officer: [["My deployments", href("officer")]],
  supervisor: [["Control room", href("control")]],
  admin: [["Deployments", href("admin")], ["Users", href("admin", "users")]],
  authorising_officer: [["Authorisations", href("authorise")]],
  compliance: [["Compliance", href("compliance")]],
};

export const HOME: Record<Role, string> = {
  officer: "officer", supervisor: "control", admin: "admin", authorising_officer: "authorise", compliance: "compliance",
};

function Login({ session }: { session: Session }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, error, run] = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    unlockSound();
    void run(async () => {
      const me = await session.login(username, password);
      location.hash = href(HOME[me.role as Role] ?? "");
    });
  };
  return (
    <main id="main" class="login">
      <h1>LFR</h1>
      <p>Live Facial Recognition. Every alert is a request for an officer's judgement.</p>
      {session.endedBecause && <p class="notice" role="status">{session.endedBecause}</p>}
      <form onSubmit={submit} aria-label="Log in">
        <Field label="Username" value={username} onValue={setUsername} autoComplete="username" required />
        <Field label="Password" type="password" value={password} onValue={setPassword} autoComplete="current-password" required />
        <button class="primary" type="submit" disabled={busy}>{busy ? "Logging in…" : "Log in"}</button>
        <Problem error={error} />
      </form>
    </main>
  );
}

function Screen({ session, me, route }: { session: Session; me: Me; route: string[] }) {
  const role = me.role as Role;
  const [area = HOME[role], a1, a2, a3, a4] = route;
  if (area !== HOME[role]) return <p>This screen is not for the {ROLE_NAME[role] ?? role} role. <a href={href(HOME[role])}>Go to your screens</a>.</p>;
  switch (role) {
    case "officer":
      return a1 === "d" && a2 ? <OfficerDeployment session={session} me={me} deploymentId={a2} alertId={a3 === "a" ? a4 : undefined} /> : <OfficerHome session={session} />;
    case "supervisor":
      return <ControlRoom session={session} me={me} deploymentId={a1 === "d" ? a2 : undefined} alertId={a3 === "a" ? a4 : undefined} />;
    case "admin":
      if (a1 === "users") return <AdminUsers session={session} />;
      return a1 === "d" && a2 ? <AdminDeployment session={session} deploymentId={a2} step={a3} /> : <AdminHome session={session} />;
    case "authorising_officer":
      return a1 === "d" && a2 ? <AuthoriseDeployment session={session} deploymentId={a2} /> : <AuthoriseHome session={session} />;
    case "compliance":
      return <ComplianceHome session={session} tab={a1 ?? "holds"} arg={a2} />;
    default:
      return <p>Unknown role {role}.</p>;
  }
}

export function App({ session }: { session: Session }) {
  const [me, setMe] = useState<Me | null>(session.me);
  const route = useRoute();
  useEffect(() => session.onChange(() => setMe(session.me)), [session]);
  useEffect(() => {
    // A revoked or disabled account is logged out even while nothing else is happening.
    if (!me) return;
    const check = window.setInterval(() => {
      if (navigator.onLine) void request(session, "GET", "/auth/me").catch(() => undefined);
    }, 20_000);
    return () => window.clearInterval(check);
  }, [me, session]);
  if (!me) return <Login session={session} />;
  const role = me.role as Role;
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href={href(HOME[role])}><img src="/app/icons/icon.svg" alt="" width={28} height={28} /> LFR</a>
        <nav aria-label="Main">
          <ul>{NAV[role]?.map(([text, link]) => <li key={link}><a href={link} aria-current={location.hash.startsWith(link) ? "page" : undefined}>{text}</a></li>)}</ul>
        </nav>
        <span class="who">{me.name} · {ROLE_NAME[role] ?? role}</span>
        <button type="button" class="link" onClick={() => void session.logout()}>Log out</button>
      </header>
      <main id="main" tabIndex={-1}>
        <Screen session={session} me={me} route={route} />
      </main>
    </>
  );
}
