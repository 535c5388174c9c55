import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Api, Checkpoint } from "@/lib/api";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";

const finalStates = new Set(["succeeded", "failed", "canceled"]);

/**
 * CheckpointSamples shows the checkpoints a job saves while it trains, each
 * with its sample images, and once it succeeded lets the user make any of
 * them a version. The sample links expire after an hour: the list is
 * fetched again before they do.
 */
export function CheckpointSamples({
  api,
  jobID,
  status,
  onPromoted,
  pollMs = 3000,
}: {
  api: Api;
  jobID: string;
  status: string;
  onPromoted: () => void;
  pollMs?: number;
}) {
  const { t } = useTranslation("training");
  const [checkpoints, setCheckpoints] = useState<Checkpoint[]>([]);
  const [error, setError] = useState<string>();
  const [promoting, setPromoting] = useState<number>();
  const [made, setMade] = useState<Record<number, number>>({});
  const running = !finalStates.has(status);

  useEffect(() => {
    if (status === "queued" || status === "dispatched") return;
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const load = async () => {
      let next = pollMs;
      try {
        const cps = await api.checkpoints(jobID);
        if (!live) return;
        setCheckpoints(cps);
        setError(undefined);
        // Fetch again a minute before the first sample link expires.
        const expiries = cps.flatMap((c) => c.samples ?? []).map((s) => Date.parse(s.expires_at) - Date.now() - 60_000);
        const soonest = expiries.length ? Math.max(1000, Math.min(...expiries)) : Infinity;
        next = running ? Math.min(pollMs, soonest) : soonest;
      } catch (e) {
        if (live) setError(t("samples.readError", { error: (e as Error).message }));
      }
      if (live && Number.isFinite(next)) timer = setTimeout(load, next);
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, jobID, status, running, pollMs]);

  const promote = (step: number) => {
    setPromoting(step);
    setError(undefined);
    api.promoteCheckpoint(jobID, step).then(
      (v) => {
        setPromoting(undefined);
        setMade((m) => ({ ...m, [step]: v.number }));
        onPromoted();
      },
      (e: Error & { code?: string }) => {
        setPromoting(undefined);
        setError(
          e.code === "job_not_succeeded"
            ? t("samples.notSucceeded")
            : t("samples.promoteError", { error: e.message }),
        );
      },
    );
  };

  if (checkpoints.length === 0 && !error) {
    return running ? (
      <p className="text-xs text-muted-foreground" data-testid="samples-waiting">
        {t("samples.waiting")}
      </p>
    ) : null;
  }
  const last = checkpoints.length ? checkpoints[checkpoints.length - 1].step : undefined;
  return (
    <section className="space-y-2" aria-label={t("samples.label")} data-testid="checkpoints">
      <p className="text-xs text-muted-foreground">
        {running
          ? t("samples.running")
          : status === "succeeded"
            ? t("samples.succeeded")
            : t("samples.ended")}
      </p>
      {error && <p className="text-xs text-destructive">{error}</p>}
      <ul className="space-y-2">
        {checkpoints.map((c) => {
          const version = made[c.step];
          return (
            <li key={c.step} className="rounded-md border p-2" data-testid={`checkpoint-${c.step}`}>
              <div className="flex flex-wrap items-center gap-2">
                <strong>{t("samples.step", { step: c.step })}</strong>
                {c.final && <Badge variant="ok">{t("samples.final")}</Badge>}
                {c.step === last && status === "succeeded" && !c.final && <Badge>{t("samples.last")}</Badge>}
                {version !== undefined && <Badge variant="ok">{t("versions.name", { number: version })}</Badge>}
                {status === "succeeded" && version === undefined && (
                  <Button
                    size="sm"
                    variant={c.step === last ? "default" : "outline"}
                    disabled={promoting !== undefined}
                    onClick={() => promote(c.step)}
                  >
                    {c.final || c.version_id ? t("samples.isVersion") : t("samples.makeVersion")}
                  </Button>
                )}
              </div>
              <div className="mt-2 flex flex-wrap gap-2">
                {(c.samples ?? []).map((s) => (
                  <figure key={s.index} className="w-32">
                    <img src={s.url} alt={t("samples.alt", { step: c.step, prompt: s.prompt })} className="h-32 w-32 rounded object-cover" />
                    <figcaption className="truncate text-[10px] text-muted-foreground" title={s.prompt}>
                      {s.prompt}
                    </figcaption>
                  </figure>
                ))}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
