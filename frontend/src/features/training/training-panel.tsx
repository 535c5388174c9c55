import { useEffect, useState } from "react";
import { Trans, useTranslation } from "react-i18next";
import { limits, type Api, type Job, type JobCreated, type Version } from "@/lib/api";
import { useFormat } from "@/lib/i18n/format";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Progress } from "@/components/ui/progress";
import { CheckpointSamples } from "./checkpoint-samples";
import { VersionFile } from "./version-file";

const finalStates = new Set(["succeeded", "failed", "canceled"]);

/**
 * TrainingPanel follows a job on the server until it ends, then lists the
 * versions, where one is activated with a default weight (or rolled back).
 */
export function TrainingPanel({
  api,
  job,
  baseModel,
  baseModels = [],
  targetPlatform,
  onRetry,
  onVersions,
  pollMs = 1000,
}: {
  api: Api;
  job: JobCreated | null;
  baseModel: string;
  /** The base models' data: a version without a weight of its own starts at its model's default_weight. */
  baseModels?: { id: string; default_weight: number }[];
  targetPlatform: string;
  onRetry: () => void;
  /** onVersions hears every list of versions loaded, so the steps know when one is ready. */
  onVersions?: (versions: Version[]) => void;
  pollMs?: number;
}) {
  const { t } = useTranslation("training");
  const fmt = useFormat();
  const [status, setStatus] = useState<Job>();
  const [versions, setVersions] = useState<Version[]>([]);
  const [offline, setOffline] = useState(false);
  const [error, setError] = useState<string>();
  const [weights, setWeights] = useState<Record<string, number>>({});
  const [canceling, setCanceling] = useState<"asking" | "queued">();
  const [log, setLog] = useState("");

  const cancel = (jobID: string) => {
    setCanceling("asking");
    setError(undefined);
    api.cancelTraining(jobID).then(
      (r) => {
        if (r.job) {
          setStatus(r.job);
          setCanceling(undefined);
          void loadVersions();
        } else setCanceling("queued");
      },
      (e: Error) => {
        setCanceling(undefined);
        setError(e.message);
      },
    );
  };

  const loadVersions = () =>
    api.versions().then(
      (r) => {
        setVersions(r.versions);
        setOffline(r.offline);
        onVersions?.(r.versions);
      },
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void loadVersions();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api]);

  useEffect(() => {
    if (!job) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        const j = await api.job(job.job_id);
        if (!live) return;
        setStatus(j);
        if (j.status !== "queued") {
          // The log is a nicety: a failure to fetch it never stops the polling.
          api.jobLog(job.job_id).then(
            (l) => live && setLog(l.log),
            () => {},
          );
        }
        if (finalStates.has(j.status)) {
          void loadVersions();
          return;
        }
      } catch (e) {
        if (live) setError((e as Error).message); // keep polling: the network may come back
      }
      if (live) timer = setTimeout(poll, pollMs);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, job, pollMs]);

  const defaultWeight = (v: Version) =>
    weights[v.id] ?? v.weight ?? baseModels.find((m) => m.id === v.base_model)?.default_weight ?? 1.0;
  return (
    <Card data-testid="training-panel">
      <CardHeader>
        <CardTitle>{t("panel.title")}</CardTitle>
        <CardDescription>{t("panel.description")}</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4 text-sm">
        {job && (
          <div className="space-y-1" data-testid="job-status" data-status={status?.status ?? "queued"}>
            <p>
              <Trans t={t} i18nKey="job.line" values={{ model: baseModel, status: t(`job.status.${status?.status ?? "queued"}`) }} components={{ b: <strong /> }} />
              {status && !finalStates.has(status.status) && ` (${fmt.percent(status.progress)})`}
            </p>
            <Progress value={Math.round((status?.progress ?? 0) * 100)} max={100} label={t("job.progressLabel")} />
            {!finalStates.has(status?.status ?? "queued") && (
              <div className="flex items-center gap-2">
                <Button size="sm" variant="outline" disabled={canceling !== undefined} onClick={() => cancel(job.job_id)}>
                  {t("job.cancel")}
                </Button>
                {canceling === "queued" && (
                  <span role="status" className="text-xs text-muted-foreground">
                    {t("job.cancelQueued")}
                  </span>
                )}
              </div>
            )}
            {status?.status === "canceled" && (
              <div className="space-y-2">
                <p>{t("job.canceled")}</p>
                <Button size="sm" variant="outline" onClick={onRetry}>
                  {t("job.trainAgain")}
                </Button>
              </div>
            )}
            {status?.status === "failed" && (
              <div role="alert" className="space-y-2 text-destructive">
                <p>{t("job.failed", { error: status.error || t("job.noReason") })}</p>
                <Button size="sm" variant="outline" onClick={onRetry}>
                  {t("job.retry")}
                </Button>
              </div>
            )}
            {status && (
              <CheckpointSamples key={job.job_id} api={api} jobID={job.job_id} status={status.status} onPromoted={() => void loadVersions()} />
            )}
            {log && (
              <details open className="rounded-md border p-2" data-testid="job-log">
                <summary className="cursor-pointer text-xs text-muted-foreground">{t("job.logSummary")}</summary>
                <pre aria-label={t("job.logLabel")} className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap font-mono text-xs">
                  {log.trimEnd().split("\n").slice(-30).join("\n")}
                </pre>
              </details>
            )}
            {status?.logs_url && (
              <p className="text-xs text-muted-foreground">
                <Trans t={t} i18nKey="job.logsUrl" values={{ url: status.logs_url }} components={{ code: <span className="font-mono" /> }} />
              </p>
            )}
          </div>
        )}
        {error && <p className="text-xs text-destructive">{error}</p>}
        {offline && (
          <p className="text-xs text-amber-700 dark:text-amber-400" data-testid="versions-offline">
            {t("versions.offline")}
          </p>
        )}
        {versions.length === 0 ? (
          <p className="text-muted-foreground">{t("versions.none")}</p>
        ) : (
          <ul className="space-y-2" aria-label={t("versions.label")}>
            {versions.map((v) => (
              <li key={v.id} className="flex flex-wrap items-center gap-3 rounded-md border p-2" data-testid={`version-${v.number}`}>
                <strong>{t("versions.name", { number: v.number })}</strong>
                <span>{v.base_model}</span>
                <span className="text-xs text-muted-foreground">{fmt.dateTime(v.created_at)}</span>
                <span className="font-mono text-xs text-muted-foreground" title={v.dataset_hash}>
                  {v.dataset_hash.slice(0, 19)}…
                </span>
                <Badge variant={v.status === "ready" ? "ok" : v.status === "failed" ? "error" : "default"}>{t(`versions.status.${v.status}`, { defaultValue: v.status })}</Badge>
                {v.active && <Badge variant="ok">{t("versions.activeAt", { weight: fmt.number(v.weight ?? 0, { min: 2 }) })}</Badge>}
                {v.status === "ready" && (
                  <>
                    <label className="flex items-center gap-1 text-xs">
                      {t("versions.weight", { weight: fmt.number(defaultWeight(v), { min: 2 }) })}
                      <input
                        type="range"
                        min={limits.loraWeight.min}
                        max={limits.loraWeight.max}
                        step={0.05}
                        value={defaultWeight(v)}
                        aria-label={t("versions.weightOf", { number: v.number })}
                        onChange={(e) => setWeights({ ...weights, [v.id]: Number(e.target.value) })}
                      />
                    </label>
                    <Button
                      size="sm"
                      variant={v.active ? "outline" : "default"}
                      onClick={() =>
                        api.activate(v.id, defaultWeight(v), targetPlatform).then(
                          (r) => {
                            setError(r.queued ? t("versions.activationQueued") : undefined);
                            void loadVersions();
                          },
                          (e: Error) => setError(e.message),
                        )
                      }
                    >
                      {v.active ? t("versions.updateWeight") : versions.some((o) => o.active && o.number > v.number) ? t("versions.rollBack") : t("versions.activate")}
                    </Button>
                    <VersionFile api={api} version={v} onDownloaded={() => void loadVersions()} />
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}
