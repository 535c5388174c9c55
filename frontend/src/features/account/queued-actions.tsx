import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Api, QueuedAction } from "@/lib/api";
import { formatTime } from "@/lib/i18n/format";
import { Button } from "@/components/ui/button";

/**
 * QueuedActions lists what waits for the server (and when it goes next) and
 * what the server refused, with its reason, so nothing fails out of sight.
 */
export function QueuedActions({ api, pollMs = 5000 }: { api: Api; pollMs?: number }) {
  const { t, i18n } = useTranslation("account");
  const [actions, setActions] = useState<QueuedAction[]>([]);
  const [error, setError] = useState<string>();

  const load = () =>
    api.queuedActions().then(
      (qs) => {
        setActions(qs);
        setError(undefined);
      },
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
    const off = api.onEvent("outbox:changed", () => void load());
    const timer = setInterval(() => void load(), pollMs);
    return () => {
      off();
      clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, pollMs]);

  const act = (fn: () => Promise<unknown>) =>
    fn().then(
      () => load(),
      (e: Error) => setError(e.message),
    );
  if (actions.length === 0 && !error) return null;
  const waiting = actions.filter((a) => a.status === "pending");
  return (
    <div className="space-y-2 rounded-md border p-2 text-xs" data-testid="queued-actions">
      {waiting.length > 0 && (
        <div className="flex flex-wrap items-center gap-2">
          <span>
            {t("queued.waiting", { count: waiting.length })}
          </span>
          <Button size="sm" variant="outline" onClick={() => act(() => api.sendQueued())}>
            {t("queued.sendNow")}
          </Button>
        </div>
      )}
      <ul className="space-y-1" aria-label={t("queued.label")}>
        {actions.map((a) => (
          <li key={a.id} className="flex flex-wrap items-center gap-2" data-status={a.status}>
            <span className="font-medium">{a.what}</span>
            {a.status === "pending" ? (
              <span className="text-muted-foreground">
                {a.attempts > 0
                  ? t(a.error ? "queued.triedError" : "queued.tried", {
                      count: a.attempts,
                      error: a.error,
                      next: formatTime(i18n.resolvedLanguage ?? i18n.language, a.next_attempt_at),
                    })
                  : t("queued.pending")}
              </span>
            ) : (
              <>
                <span role="alert" className="text-destructive">
                  {t("queued.refused", { error: a.error })}
                </span>
                <Button size="sm" variant="ghost" onClick={() => act(() => api.retryAction(a.id))}>
                  {t("queued.retry")}
                </Button>
              </>
            )}
            <Button size="sm" variant="ghost" aria-label={t("queued.dismissNamed", { what: a.what })} onClick={() => act(() => api.dismissAction(a.id))}>
              {t("queued.dismiss")}
            </Button>
          </li>
        ))}
      </ul>
      {error && <p className="text-destructive">{error}</p>}
    </div>
  );
}
