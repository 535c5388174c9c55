import { useEffect, useId, useState } from "react";
import { ImagePlus, Trash2 } from "lucide-react";
import { useTranslation } from "react-i18next";
import { TrainingSettings } from "@/features/training/training-settings";
import { syncProgressSchema, type TrainingParams, type Api, type DatasetItem, type Finding, type ImportResult, type Report, type SyncResult } from "@/lib/api";
import { useFormat } from "@/lib/i18n/format";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Progress } from "@/components/ui/progress";
import { IdentitySummary } from "./identity-summary";
import { issueTitle } from "./issue-titles";
import { useDataset, type Dataset } from "./use-dataset";
import { PhotoName } from "./photo-name";
import { CaptionField } from "./caption-field";
import { CaptionsReview } from "./captions-review";

/**
 * DatasetPanel is the whole dataset screen in one card: photos, check and
 * upload. The studio's steps show its sections one at a time.
 */
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
  const dataset = useDataset(api);
  const { reload } = dataset;
  // Signing in or out changes what training needs next.
  useEffect(() => {
    void reload();
  }, [signedIn, reload]);
  return (
    <div className="space-y-4">
      <PhotosSection api={api} dataset={dataset} />
      {dataset.state && (
        <>
          <CheckSection api={api} dataset={dataset} baseModel={baseModel} grid={false} />
          <UploadSection api={api} dataset={dataset} baseModel={baseModel} signedIn={signedIn} onStartTraining={onStartTraining} />
        </>
      )}
    </div>
  );
}

/** PhotosSection is where photos come in, with how many are needed. */
export function PhotosSection({ api, dataset }: { api: Api; dataset: Dataset }) {
  const { t } = useTranslation("dataset");
  const { state, error, task, run } = dataset;
  const [lastImport, setLastImport] = useState<ImportResult>();
  if (!state) {
    return error ? <p role="alert" className="text-sm text-destructive">{error}</p> : <p className="text-sm">{t("loadingPhotos")}</p>;
  }
  return (
    <Card data-testid="dataset-panel">
      <CardHeader>
        <CardTitle>{t("photos.title")}</CardTitle>
        <CardDescription>{t("photos.description")}</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        <div className="flex flex-wrap items-center gap-3">
          <Button variant="outline" onClick={() => run(() => api.pickAndImport().then(setLastImport))} disabled={!!task}>
            <ImagePlus className="h-4 w-4" aria-hidden /> {t("photos.add")}
          </Button>
          <PhotoCount state={state} />
        </div>
        <TaskProgress task={task} />
        {error && <p role="alert" className="text-sm text-destructive">{error}</p>}
        {lastImport && lastImport.failed.length > 0 && (
          <ul className="text-sm text-destructive" aria-label={t("photos.notImported")}>
            {lastImport.failed.map((f) => (
              <li key={f.file}>{t("photos.failedFile", { file: f.file, reason: f.reason })}</li>
            ))}
          </ul>
        )}
        <PhotoGrid api={api} dataset={dataset} />
      </CardContent>
    </Card>
  );
}

/** PhotoCount says how many photos there are against how many are needed. */
function PhotoCount({ state }: { state: NonNullable<Dataset["state"]> }) {
  const { t } = useTranslation("dataset");
  const n = state.items.length;
  const tone = n < state.min ? "text-destructive" : n < state.recommended_min || n > state.recommended_max ? "text-amber-600" : "text-emerald-600";
  return (
    <p className={`text-sm font-medium ${tone}`} data-testid="photo-count">
      {t("photos.count", { count: n, min: state.min, from: state.recommended_min, to: state.recommended_max })}
    </p>
  );
}

function TaskProgress({ task }: { task: Dataset["task"] }) {
  const { t } = useTranslation("dataset");
  if (!task) return null;
  const values = { done: task.progress.done, total: task.progress.total, file: task.progress.file };
  return (
    <div className="space-y-1" aria-live="polite">
      <p className="text-xs text-muted-foreground">
        {task.kind === "import"
          ? t(task.progress.file ? "task.importingFile" : "task.importing", values)
          : t(task.progress.file ? "task.checkingFile" : "task.checking", values)}
      </p>
      <Progress value={task.progress.done} max={task.progress.total} label={task.kind === "import" ? t("task.importLabel") : t("task.checkLabel")} />
    </div>
  );
}

/** PhotoGrid shows every photo with its whole name, its state and its main issue. */
function PhotoGrid({ api, dataset }: { api: Api; dataset: Dataset }) {
  const { t } = useTranslation("dataset");
  const { state, run, reload } = dataset;
  const hintId = useId();
  if (!state || state.items.length === 0) return null;
  const issuesOf = (name: string) => state.report?.items.find((i) => i.file === name)?.issues ?? [];
  const template = state.caption_template ?? "";
  return (
    <>
      <p id={hintId} className="text-xs text-muted-foreground" data-testid="caption-hint">
        {t("captions.hint", { template })}
      </p>
      <ul className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5" aria-label={t("photos.list")}>
        {state.items.map((it) => (
          <li
            key={it.id}
            className={`flex flex-col gap-1 rounded-md border p-2 text-xs ${it.state === "error" ? "border-destructive" : ""}`}
            data-testid={`photo-${it.name}`}
            data-state={it.state}
          >
            <img src={it.thumb_url} alt={it.name} className="aspect-square w-full rounded object-cover" loading="lazy" />
            <PhotoName name={it.name} path={it.original_path} />
            <Badge className="self-start" variant={it.state === "ok" ? "ok" : it.state === "warning" ? "warning" : it.state === "error" ? "error" : "default"}>
              {t(`state.${it.state}`)}
            </Badge>
            <IssueNote issues={issuesOf(it.name)} />
            <CaptionField api={api} item={it} template={template} hintId={hintId} onSaved={() => void reload()} />
            <Button variant="ghost" size="sm" className="mt-auto h-7 w-full" onClick={() => run(() => api.removeItem(it.id))} aria-label={t("photos.removeNamed", { name: it.name })}>
              <Trash2 className="h-3.5 w-3.5" aria-hidden /> {t("photos.remove")}
            </Button>
          </li>
        ))}
      </ul>
    </>
  );
}

/** CheckSection validates the photos offline and shows what the check found. */
export function CheckSection({ api, dataset, baseModel, grid = true }: { api: Api; dataset: Dataset; baseModel: string; grid?: boolean }) {
  const { t } = useTranslation("dataset");
  const { state, task, run, minRes, setMinRes, error } = dataset;
  const minResId = useId();
  const whyId = useId();
  if (!state) return null;
  const n = state.items.length;
  const report = state.report;
  return (
    <Card data-testid="check-panel">
      <CardHeader>
        <CardTitle>{t("check.title")}</CardTitle>
        <CardDescription>{t("check.description")}</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        {grid && <PhotoCount state={state} />}
        <div className="flex flex-wrap items-end gap-3">
          <div className="space-y-1">
            <Label htmlFor={minResId} className="text-xs font-normal text-muted-foreground">
              {t("check.minRes")}
            </Label>
            <Input
              id={minResId}
              type="number"
              min={64}
              max={4096}
              value={minRes}
              onChange={(e) => setMinRes(Number(e.target.value))}
              className="w-28"
            />
          </div>
          <Button
            onClick={() => run(() => api.validateDataset({ base_model: baseModel, min_resolution: minRes }))}
            disabled={!!task || n === 0}
            aria-describedby={n === 0 ? whyId : undefined}
          >
            {t("check.validate")}
          </Button>
          {n === 0 && (
            <p id={whyId} className="text-sm text-muted-foreground">
              {t("check.needPhotos")}
            </p>
          )}
        </div>
        <TaskProgress task={grid ? task : null} />
        {grid && error && <p role="alert" className="text-sm text-destructive">{error}</p>}
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
        {grid && <PhotoGrid api={api} dataset={dataset} />}
      </CardContent>
    </Card>
  );
}

/** UploadSection sends the validated photos to the server and starts training. */
export function UploadSection({
  api,
  dataset,
  baseModel,
  signedIn,
  onStartTraining,
}: {
  api: Api;
  dataset: Dataset;
  baseModel: string;
  signedIn: boolean;
  onStartTraining?: (params: TrainingParams) => void;
}) {
  const { t } = useTranslation("dataset");
  const fmt = useFormat();
  const { state, task, run, minRes } = dataset;
  const [sync, setSync] = useState<{ done: number; total: number; file: string } | null>(null);
  const [synced, setSynced] = useState<SyncResult>();
  const [params, setParams] = useState<TrainingParams | null>({});
  const uploadWhy = useId();
  useEffect(
    () =>
      api.onEvent("sync:progress", (d: unknown) => {
        const p = syncProgressSchema.safeParse(d);
        if (p.success) setSync({ done: p.data.done, total: p.data.total, file: p.data.file });
      }),
    [api],
  );
  if (!state) return null;
  const uploadReason = !signedIn ? t("upload.needSignIn") : state.status !== "validated" ? t("upload.needValidation") : undefined;
  return (
    <Card data-testid="upload-panel">
      <CardHeader>
        <CardTitle>{t("upload.title")}</CardTitle>
        <CardDescription>{t("upload.description")}</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        {sync && (
          <div className="space-y-1" aria-live="polite">
            <p className="text-xs text-muted-foreground">
              {t(sync.file ? "upload.progressFile" : "upload.progress", { done: fmt.bytes(sync.done), total: fmt.bytes(sync.total), file: sync.file })}
            </p>
            <Progress value={sync.done} max={sync.total} label={t("upload.progressLabel")} />
          </div>
        )}
        {synced && (
          <p className="text-sm" data-testid="sync-result">
            {t("upload.done", { status: synced.validation?.status ?? synced.state })}
            {synced.total.bytes_resent > 0 && ` ${t("upload.resent", { size: fmt.bytes(synced.total.bytes_resent) })}`}
          </p>
        )}
        <div className="flex flex-wrap items-start gap-3">
          <div className="space-y-1">
            <Button
              variant="outline"
              disabled={!!task || !!sync || !!uploadReason}
              aria-describedby={uploadReason ? uploadWhy : undefined}
              onClick={async () => {
                setSync({ done: 0, total: 1, file: "" });
                const res = await run(() => api.syncDataset({ base_model: baseModel, min_resolution: minRes }));
                setSync(null);
                if (res) setSynced(res);
              }}
            >
              {t("upload.button")}
            </Button>
            {uploadReason && (
              <p id={uploadWhy} className="text-xs text-muted-foreground" data-testid="upload-reason">
                {uploadReason}
              </p>
            )}
          </div>
        </div>
        {signedIn && <CaptionsReview api={api} dataset={dataset} />}
        <div className="flex flex-wrap items-start gap-3">
          <div className="space-y-1">
            <Button
              disabled={!state.training.allowed || params === null}
              aria-describedby="training-reason"
              data-testid="start-training"
              onClick={() => params && onStartTraining?.(params)}
            >
              {t("upload.startTraining")}
            </Button>
            {!state.training.allowed && (
              <p id="training-reason" className="text-xs text-muted-foreground" data-testid="training-reason">
                {state.training.reason}
              </p>
            )}
          </div>
        </div>
        {state.training.allowed && <TrainingSettings api={api} baseModel={baseModel} onChange={setParams} />}
      </CardContent>
    </Card>
  );
}

/**
 * IssueNote shows a photo's most important issue in a few lines (errors
 * first); the rest are one hover or focus away, and all are in the report.
 */
function IssueNote({ issues }: { issues: NonNullable<Report["items"][number]["issues"]> }) {
  const { t } = useTranslation("dataset");
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
      {title && <span className="font-medium">{t("issueTitle", { title })}</span>}
      {first.message}
      {sorted.length > 1 && <span className="text-muted-foreground"> {t("moreIssues", { count: sorted.length - 1 })}</span>}
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
  const { t } = useTranslation("dataset");
  const poses = report.variety.poses ?? {};
  const frontal = poses.frontal ?? 0;
  const threeQuarter = (poses.three_quarter_left ?? 0) + (poses.three_quarter_right ?? 0);
  const profile = (poses.profile_left ?? 0) + (poses.profile_right ?? 0);
  return (
    <section aria-label={t("report.label")} className="space-y-3 text-sm" data-testid="report">
      <p className={report.ok ? "font-medium text-emerald-600" : "font-medium text-destructive"}>
        {report.ok ? t("report.passes") : t("report.fails")}
      </p>
      <IdentitySummary report={report} photos={photos} busy={busy} onRemove={onRemove} />
      <Findings title={t("report.errors")} items={report.errors} tone="text-destructive" />
      <Findings title={t("report.warnings")} items={report.warnings} tone="text-amber-700 dark:text-amber-400" />
      <p data-testid="variety">
        {t("report.variety", { frontal, threeQuarter, profile })}
      </p>
    </section>
  );
}

function Findings({ title, items, tone }: { title: string; items?: Finding[] | null; tone: string }) {
  const { t } = useTranslation("dataset");
  if (!items?.length) return null;
  return (
    <div>
      <h3 className="font-medium">{title}</h3>
      <ul className={`list-disc pl-5 ${tone}`}>
        {items.map((f, i) => (
          <li key={f.code + i} data-code={f.code}>
            {f.message}
            {f.files?.length ? <span className="text-muted-foreground"> {t("report.files", { files: f.files.join(", ") })}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
