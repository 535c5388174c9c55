import { useEffect, useState } from "react";
import { limits, type Api, type Job, type JobCreated, type Version } from "@/lib/api";
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
  targetPlatform,
  onRetry,
  pollMs = 1000,
}: {
  api: Api;
  job: JobCreated | null;
  baseModel: string;
  targetPlatform: string;
  onRetry: () => void;
  pollMs?: number;
}) {
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

  const defaultWeight = (v: Version) => weights[v.id] ?? v.weight ?? (v.base_model === "sdxl" ? 0.8 : 1.0);
  return (
    <Card data-testid="training-panel">
      <CardHeader>
        <CardTitle>Training and versions</CardTitle>
        <CardDescription>Each training run makes a new version of your LoRA. Activate the one you like; you can roll back.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4 text-sm">
        {job && (
          <div className="space-y-1" data-testid="job-status" data-status={status?.status ?? "queued"}>
            <p>
              Training on {baseModel}: <strong>{status?.status ?? "queued"}</strong>
              {status && !finalStates.has(status.status) && ` (${Math.round(status.progress * 100)}%)`}
            </p>
            <Progress value={Math.round((status?.progress ?? 0) * 100)} max={100} label="Training progress" />
            {!finalStates.has(status?.status ?? "queued") && (
              <div className="flex items-center gap-2">
                <Button size="sm" variant="outline" disabled={canceling !== undefined} onClick={() => cancel(job.job_id)}>
                  Cancel training
                </Button>
                {canceling === "queued" && (
                  <span role="status" className="text-xs text-muted-foreground">
                    The cancel waits for the server: it goes as soon as the server answers, and whatever the GPU
                    finishes meanwhile is discarded.
                  </span>
                )}
              </div>
            )}
            {status?.status === "canceled" && (
              <div className="space-y-2">
                <p>Training canceled: the version it was making is marked failed.</p>
                <Button size="sm" variant="outline" onClick={onRetry}>
                  Train again
                </Button>
              </div>
            )}
            {status?.status === "failed" && (
              <div role="alert" className="space-y-2 text-destructive">
                <p>Training failed: {status.error || "the worker gave no reason"}</p>
                <Button size="sm" variant="outline" onClick={onRetry}>
                  Retry training
                </Button>
              </div>
            )}
            {status && (
              <CheckpointSamples key={job.job_id} api={api} jobID={job.job_id} status={status.status} onPromoted={() => void loadVersions()} />
            )}
            {log && (
              <details open className="rounded-md border p-2" data-testid="job-log">
                <summary className="cursor-pointer text-xs text-muted-foreground">Training log (the latest lines)</summary>
                <pre aria-label="Training log" className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap font-mono text-xs">
                  {log.trimEnd().split("\n").slice(-30).join("\n")}
                </pre>
              </details>
            )}
            {status?.logs_url && (
              <p className="text-xs text-muted-foreground">
                Logs: <span className="font-mono">{status.logs_url}</span>
              </p>
            )}
          </div>
        )}
        {error && <p className="text-xs text-destructive">{error}</p>}
        {offline && (
          <p className="text-xs text-amber-700 dark:text-amber-400" data-testid="versions-offline">
            The server cannot be reached: these are the versions as it last reported them.
          </p>
        )}
        {versions.length === 0 ? (
          <p className="text-muted-foreground">No versions yet.</p>
        ) : (
          <ul className="space-y-2" aria-label="Versions">
            {versions.map((v) => (
              <li key={v.id} className="flex flex-wrap items-center gap-3 rounded-md border p-2" data-testid={`version-${v.number}`}>
                <strong>v{v.number}</strong>
                <span>{v.base_model}</span>
                <span className="text-xs text-muted-foreground">{new Date(v.created_at).toLocaleString()}</span>
                <span className="font-mono text-xs text-muted-foreground" title={v.dataset_hash}>
                  {v.dataset_hash.slice(0, 19)}…
                </span>
                <Badge variant={v.status === "ready" ? "ok" : v.status === "failed" ? "error" : "default"}>{v.status}</Badge>
                {v.active && <Badge variant="ok">active at {v.weight?.toFixed(2)}</Badge>}
                {v.status === "ready" && (
                  <>
                    <label className="flex items-center gap-1 text-xs">
                      Weight {defaultWeight(v).toFixed(2)}
                      <input
                        type="range"
                        min={limits.loraWeight.min}
                        max={limits.loraWeight.max}
                        step={0.05}
                        value={defaultWeight(v)}
                        aria-label={`Weight of v${v.number}`}
                        onChange={(e) => setWeights({ ...weights, [v.id]: Number(e.target.value) })}
                      />
                    </label>
                    <Button
                      size="sm"
                      variant={v.active ? "outline" : "default"}
                      onClick={() =>
                        api.activate(v.id, defaultWeight(v), targetPlatform).then(
                          (r) => {
                            setError(r.queued ? "The server cannot be reached: the activation will apply as soon as it answers." : undefined);
                            void loadVersions();
                          },
                          (e: Error) => setError(e.message),
                        )
                      }
                    >
                      {v.active ? "Update weight" : versions.some((o) => o.active && o.number > v.number) ? "Roll back to this" : "Activate"}
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
