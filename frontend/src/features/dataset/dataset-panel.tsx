import { useEffect, useState } from "react";
import { ImagePlus, Trash2 } from "lucide-react";
import { TrainingSettings } from "@/features/training/training-settings";
import { syncProgressSchema, type TrainingParams, type Api, type DatasetItem, type Finding, type ImportResult, type Report, type SyncResult } from "@/lib/api";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Progress } from "@/components/ui/progress";
import { IdentitySummary } from "./identity-summary";
import { issueTitle } from "./issue-titles";
import { useDataset } from "./use-dataset";

const stateWords: Record<DatasetItem["state"], string> = {
  imported: "imported",
  checking: "checking",
  ok: "ok",
  warning: "warning",
  error: "error",
};

/** DatasetPanel is where photos come in, get checked, and unlock training. */
export function DatasetPanel({
  api,
  baseModel,
  signedIn,
  onStartTraining,
}: {
  api: Api;
  baseModel: string;
  signedIn: boolean;
  onStartTraining?: (params: TrainingParams) => void;
}) {
  const { state, error, task, run, reload } = useDataset(api);
  const [minRes, setMinRes] = useState(512);
  const [lastImport, setLastImport] = useState<ImportResult>();
  const [sync, setSync] = useState<{ done: number; total: number; file: string } | null>(null);
  const [synced, setSynced] = useState<SyncResult>();
  const [params, setParams] = useState<TrainingParams | null>({});

  // Signing in or out changes what training needs next.
  useEffect(() => {
    void reload();
  }, [signedIn, reload]);
  useEffect(
    () =>
      api.onEvent("sync:progress", (d: unknown) => {
        const p = syncProgressSchema.safeParse(d);
        if (p.success) setSync({ done: p.data.done, total: p.data.total, file: p.data.file });
      }),
    [api],
  );

  if (!state) {
    return error ? <p role="alert" className="text-sm text-destructive">{error}</p> : <p className="text-sm">Loading photos…</p>;
  }
  const n = state.items.length;
  const report = state.report;
  const issuesOf = (name: string) => report?.items.find((i) => i.file === name)?.issues ?? [];
  const countTone = n < state.min ? "text-destructive" : n < state.recommended_min || n > state.recommended_max ? "text-amber-600" : "text-emerald-600";

  return (
    <Card data-testid="dataset-panel">
      <CardHeader>
        <CardTitle>Your photos</CardTitle>
        <CardDescription>
          Drop photos or folders anywhere on this window, or add them with the button. Your originals are never changed.
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        <div className="flex flex-wrap items-center gap-3">
          <Button variant="outline" onClick={() => run(() => api.pickAndImport().then(setLastImport))} disabled={!!task}>
            <ImagePlus className="h-4 w-4" aria-hidden /> Add photos…
          </Button>
          <p className={`text-sm font-medium ${countTone}`} data-testid="photo-count">
            {n} {n === 1 ? "photo" : "photos"}: at least {state.min}, {state.recommended_min} to {state.recommended_max}{" "}
            recommended
          </p>
        </div>

        {task && (
          <div className="space-y-1" aria-live="polite">
            <p className="text-xs text-muted-foreground">
              {task.kind === "import" ? "Importing" : "Checking"} {task.progress.done} of {task.progress.total}
              {task.progress.file ? `: ${task.progress.file}` : ""}
            </p>
            <Progress value={task.progress.done} max={task.progress.total} label={task.kind === "import" ? "Import progress" : "Validation progress"} />
          </div>
        )}
        {sync && (
          <div className="space-y-1" aria-live="polite">
            <p className="text-xs text-muted-foreground">
              Uploading {(sync.done / 1e6).toFixed(1)} of {(sync.total / 1e6).toFixed(1)} MB{sync.file ? `: ${sync.file}` : ""}
            </p>
            <Progress value={sync.done} max={sync.total} label="Upload progress" />
          </div>
        )}
        {synced && (
          <p className="text-sm" data-testid="sync-result">
            Uploaded: the server checked the photos again and found the dataset {synced.validation?.status ?? synced.state}.
            {synced.total.bytes_resent > 0 && ` ${(synced.total.bytes_resent / 1e6).toFixed(1)} MB were sent again after an interruption.`}
          </p>
        )}
        {error && <p role="alert" className="text-sm text-destructive">{error}</p>}
        {lastImport && lastImport.failed.length > 0 && (
          <ul className="text-sm text-destructive" aria-label="Files not imported">
            {lastImport.failed.map((f) => (
              <li key={f.file}>
                {f.file}: {f.reason}
              </li>
            ))}
          </ul>
        )}

        {n > 0 && (
          <ul className="grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-6" aria-label="Photos">
            {state.items.map((it) => (
              <li
                key={it.id}
                className={`space-y-1 rounded-md border p-2 text-xs ${it.state === "error" ? "border-destructive" : ""}`}
                data-testid={`photo-${it.name}`}
                data-state={it.state}
              >
                <img src={it.thumb_url} alt={it.name} className="aspect-square w-full rounded object-cover" loading="lazy" />
                <div className="flex items-center justify-between gap-1">
                  <span className="truncate" title={it.original_path}>
                    {it.name}
                  </span>
                  <Badge variant={it.state === "ok" ? "ok" : it.state === "warning" ? "warning" : it.state === "error" ? "error" : "default"}>
                    {stateWords[it.state]}
                  </Badge>
                </div>
                <IssueNote issues={issuesOf(it.name)} />
                <Button variant="ghost" size="sm" className="h-7 w-full" onClick={() => run(() => api.removeItem(it.id))} aria-label={`Remove ${it.name}`}>
                  <Trash2 className="h-3.5 w-3.5" aria-hidden /> Remove
                </Button>
              </li>
            ))}
          </ul>
        )}

        <div className="flex flex-wrap items-end gap-3 border-t pt-4">
          <label className="text-sm">
            <span className="block text-xs text-muted-foreground">Smallest short side (px)</span>
            <input
              type="number"
              min={64}
              max={4096}
              value={minRes}
              onChange={(e) => setMinRes(Number(e.target.value))}
              className="h-9 w-28 rounded-md border border-input bg-background px-2"
              aria-label="Smallest short side in pixels"
            />
          </label>
          <Button onClick={() => run(() => api.validateDataset({ base_model: baseModel, min_resolution: minRes }))} disabled={!!task || n === 0}>
            Validate dataset
          </Button>
          <Button
            variant="outline"
            disabled={!!task || !!sync || !signedIn || state.status !== "validated"}
            title={!signedIn ? "Sign in to a server first." : state.status !== "validated" ? "Validate the dataset first." : undefined}
            onClick={async () => {
              setSync({ done: 0, total: 1, file: "" });
              const res = await run(() => api.syncDataset({ base_model: baseModel, min_resolution: minRes }));
              setSync(null);
              if (res) setSynced(res);
            }}
          >
            Upload to server
          </Button>
          <div className="flex flex-col">
            <Button
              disabled={!state.training.allowed || params === null}
              aria-describedby="training-reason"
              data-testid="start-training"
              title={state.training.reason}
              onClick={() => params && onStartTraining?.(params)}
            >
              Start training
            </Button>
          </div>
          {!state.training.allowed && (
            <p id="training-reason" className="text-sm text-muted-foreground" data-testid="training-reason">
              {state.training.reason}
            </p>
          )}
        </div>

        {state.training.allowed && <TrainingSettings api={api} baseModel={baseModel} onChange={setParams} />}
        {report && (
          <ReportSummary
            report={report}
            photos={state.items}
            busy={!!task}
            onRemove={(ids) =>
              run(async () => {
                for (const id of ids) await api.removeItem(id);
              })
            }
          />
        )}
      </CardContent>
    </Card>
  );
}

/**
 * IssueNote shows a photo's most important issue in a few lines (errors
 * first); the rest are one hover or focus away, and all are in the report.
 */
function IssueNote({ issues }: { issues: NonNullable<Report["items"][number]["issues"]> }) {
  if (!issues.length) return null;
  const sorted = [...issues].sort((a, b) => (a.severity === "error" ? 0 : 1) - (b.severity === "error" ? 0 : 1));
  const first = sorted[0];
  const title = issueTitle(first.code);
  return (
    <p
      className={`line-clamp-4 ${first.severity === "error" ? "text-destructive" : "text-muted-foreground"}`}
      title={sorted.map((i) => (issueTitle(i.code) ? `${issueTitle(i.code)}: ${i.message}` : i.message)).join("\n")}
      tabIndex={0}
      data-code={first.code}
    >
      {title && <span className="font-medium">{title}: </span>}
      {first.message}
      {sorted.length > 1 && <span className="text-muted-foreground"> (+{sorted.length - 1} more)</span>}
    </p>
  );
}

function ReportSummary({
  report,
  photos,
  busy,
  onRemove,
}: {
  report: Report;
  photos: DatasetItem[];
  busy: boolean;
  onRemove: (ids: string[]) => void;
}) {
  const poses = report.variety.poses ?? {};
  const frontal = poses.frontal ?? 0;
  const threeQuarter = (poses.three_quarter_left ?? 0) + (poses.three_quarter_right ?? 0);
  const profile = (poses.profile_left ?? 0) + (poses.profile_right ?? 0);
  return (
    <section aria-label="Validation report" className="space-y-3 text-sm" data-testid="report">
      <p className={report.ok ? "font-medium text-emerald-600" : "font-medium text-destructive"}>
        {report.ok ? "This dataset passes: it can be trained." : "This dataset does not pass yet: fix the errors below."}
      </p>
      <IdentitySummary report={report} photos={photos} busy={busy} onRemove={onRemove} />
      <Findings title="Errors" items={report.errors} tone="text-destructive" />
      <Findings title="Warnings" items={report.warnings} tone="text-amber-700 dark:text-amber-400" />
      <p data-testid="variety">
        Head angles: {frontal} frontal, {threeQuarter} three-quarter, {profile} profile.
      </p>
    </section>
  );
}

function Findings({ title, items, tone }: { title: string; items?: Finding[] | null; tone: string }) {
  if (!items?.length) return null;
  return (
    <div>
      <h3 className="font-medium">{title}</h3>
      <ul className={`list-disc pl-5 ${tone}`}>
        {items.map((f, i) => (
          <li key={f.code + i} data-code={f.code}>
            {f.message}
            {f.files?.length ? <span className="text-muted-foreground"> ({f.files.join(", ")})</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
