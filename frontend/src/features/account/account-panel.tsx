import { useEffect, useId, useState } from "react";
import type { Account, Api } from "@/lib/api";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { QueuedActions } from "./queued-actions";

/** AccountPanel signs in to a LoRA Studio server, where training runs. */
export function AccountPanel({ api, onChange }: { api: Api; onChange?: (a: Account) => void }) {
  const [account, setAccount] = useState<Account>();
  const [server, setServer] = useState("http://127.0.0.1:8080");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [create, setCreate] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ids = { server: useId(), email: useId(), password: useId(), create: useId() };

  useEffect(() => {
    const load = (notify: boolean) =>
      api.account().then(
        (a) => {
          setAccount(a);
          if (a.expired) {
            // Sign in again where the session was.
            if (a.server_url) setServer(a.server_url);
            if (a.email) setEmail(a.email);
          }
          if (notify) onChange?.(a);
        },
        (e: Error) => setError(e.message),
      );
    void load(false);
    // The server refused the saved sign-in: Go signed out and says so.
    return api.onEvent("account:changed", () => void load(true));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api]);

  async function act(fn: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      const a = await api.account();
      setAccount(a);
      onChange?.(a);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card data-testid="account-panel">
      <CardHeader>
        <CardTitle>Server</CardTitle>
        <CardDescription>Training runs on a GPU behind a LoRA Studio server. Everything else works offline.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-3 text-sm">
        {account?.signed_in ? (
          <>
            <div className="flex flex-wrap items-center gap-3">
              <p data-testid="signed-in">
                Signed in as <strong>{account.email}</strong> on {account.server_url}.
              </p>
              <Button variant="outline" size="sm" disabled={busy} onClick={() => act(() => api.signOut())}>
                Sign out
              </Button>
            </div>
            <QueuedActions api={api} />
          </>
        ) : (
          <>
            {account?.expired && (
              <p role="alert" className="text-sm text-destructive" data-testid="session-expired">
                Your sign-in to {account.server_url} has expired or was revoked: sign in again. What waits for the server
                stays queued and goes once you do.
              </p>
            )}
            <form
              className="grid gap-2 md:grid-cols-3"
              onSubmit={(e) => {
                e.preventDefault();
                void act(() => api.signIn({ server_url: server, email, password, create }));
              }}
            >
              <label htmlFor={ids.server} className="text-xs text-muted-foreground">
                Server address
                <input id={ids.server} value={server} onChange={(e) => setServer(e.target.value)} className="mt-1 h-9 w-full rounded-md border border-input bg-background px-2 text-sm text-foreground" />
              </label>
              <label htmlFor={ids.email} className="text-xs text-muted-foreground">
                Email
                <input id={ids.email} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} className="mt-1 h-9 w-full rounded-md border border-input bg-background px-2 text-sm text-foreground" />
              </label>
              <label htmlFor={ids.password} className="text-xs text-muted-foreground">
                Password
                <input id={ids.password} type="password" autoComplete={create ? "new-password" : "current-password"} value={password} onChange={(e) => setPassword(e.target.value)} className="mt-1 h-9 w-full rounded-md border border-input bg-background px-2 text-sm text-foreground" />
              </label>
              <label htmlFor={ids.create} className="flex items-center gap-2 text-xs">
                <input id={ids.create} type="checkbox" checked={create} onChange={(e) => setCreate(e.target.checked)} />
                Create an account on this server
              </label>
              <div className="md:col-span-2">
                <Button type="submit" size="sm" disabled={busy || !email || !password}>
                  {create ? "Create account" : "Sign in"}
                </Button>
              </div>
            </form>
          </>
        )}
        {account && account.token_storage !== "keyring" && (
          <p className="text-xs text-muted-foreground" data-testid="token-note">
            The sign-in token is kept in LoRA Studio's database in your data folder, readable only by you:{" "}
            {account.token_storage_note || "this system has no keyring"}.
          </p>
        )}
        {error && (
          <p role="alert" className="text-destructive">
            {error}
          </p>
        )}
      </CardContent>
    </Card>
  );
}
