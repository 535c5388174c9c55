import { useEffect, useId, useState } from "react";
import { Trans, useTranslation } from "react-i18next";
import type { Account, Api } from "@/lib/api";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { QueuedActions } from "./queued-actions";

/** AccountPanel signs in to a LoRA Studio server, where training runs. */
export function AccountPanel({ api, onChange }: { api: Api; onChange?: (a: Account) => void }) {
  const { t } = useTranslation("account");
  const [account, setAccount] = useState<Account>();
  const [server, setServer] = useState("http://127.0.0.1:8080");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [create, setCreate] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ids = { server: useId(), email: useId(), password: useId(), create: useId(), why: useId() };

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
        <CardTitle>{t("title")}</CardTitle>
        <CardDescription>{t("description")}</CardDescription>
      </CardHeader>
      <CardContent className="space-y-3 text-sm">
        {account?.signed_in ? (
          <>
            <div className="flex flex-wrap items-center gap-3">
              <p data-testid="signed-in">
                <Trans t={t} i18nKey="signedIn" values={{ email: account.email, server: account.server_url }} components={{ b: <strong /> }} />
              </p>
              <Button variant="outline" size="sm" disabled={busy} onClick={() => act(() => api.signOut())}>
                {t("signOut")}
              </Button>
            </div>
            <QueuedActions api={api} />
          </>
        ) : (
          <>
            {account?.expired && (
              <p role="alert" className="text-sm text-destructive" data-testid="session-expired">
                {t("expired", { server: account.server_url })}
              </p>
            )}
            <form
              className="grid gap-2 md:grid-cols-3"
              onSubmit={(e) => {
                e.preventDefault();
                void act(() => api.signIn({ server_url: server, email, password, create }));
              }}
            >
              <div className="space-y-1">
                <Label htmlFor={ids.server} className="text-xs font-normal text-muted-foreground">
                  {t("server")}
                </Label>
                <Input id={ids.server} value={server} onChange={(e) => setServer(e.target.value)} />
              </div>
              <div className="space-y-1">
                <Label htmlFor={ids.email} className="text-xs font-normal text-muted-foreground">
                  {t("email")}
                </Label>
                <Input id={ids.email} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />
              </div>
              <div className="space-y-1">
                <Label htmlFor={ids.password} className="text-xs font-normal text-muted-foreground">
                  {t("password")}
                </Label>
                <Input id={ids.password} type="password" autoComplete={create ? "new-password" : "current-password"} value={password} onChange={(e) => setPassword(e.target.value)} />
              </div>
              <div className="flex items-center gap-2">
                <Checkbox id={ids.create} checked={create} onCheckedChange={(c) => setCreate(c === true)} />
                <Label htmlFor={ids.create} className="text-xs font-normal">
                  {t("create")}
                </Label>
              </div>
              <div className="flex flex-wrap items-center gap-3 md:col-span-2">
                <Button type="submit" size="sm" disabled={busy || !email || !password} aria-describedby={!email || !password ? ids.why : undefined}>
                  {create ? t("createAccount") : t("signIn")}
                </Button>
                {(!email || !password) && (
                  <p id={ids.why} className="text-xs text-muted-foreground">
                    {t("needCredentials")}
                  </p>
                )}
              </div>
            </form>
          </>
        )}
        {account && account.token_storage !== "keyring" && (
          <p className="text-xs text-muted-foreground" data-testid="token-note">
            {t("tokenNote", { why: account.token_storage_note || t("noKeyring") })}
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
