import { useCallback, useEffect, useId, useState } from "react";
import { Loader2, Sparkles } from "lucide-react";
import { useTranslation } from "react-i18next";
import { captionRunSchema, type Api, type CaptionRun, type CaptionState } from "@/lib/api";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Label } from "@/components/ui/label";
import { CaptionField } from "./caption-field";
import { PhotoName } from "./photo-name";
import type { Dataset } from "./use-dataset";

const inProgress = (r?: CaptionRun | null) => r?.status === "queued" || r?.status === "running";

/**
 * CaptionsReview is the Train step's captions: every photo's caption to
 * read and edit, the worker's captioner to ask for suggestions (with its
 * progress), and "Use these captions", which accepts the suggestions and
 * sends every edit to the server. Training waits for it (Go's gate).
 */
export function CaptionsReview({ api, dataset }: { api: Api; dataset: Dataset }) {
  const { t } = useTranslation("dataset");
  const { state, reload } = dataset;
  const [caps, setCaps] = useState<CaptionState>();
  const [busy, setBusy] = useState<"suggest" | "use" | null>(null);
  const [overwrite, setOverwrite] = useState(false);
  const [error, setError] = useState<string>();
  const hintId = useId();
  const overwriteId = useId();

  const load = useCallback(async () => {
    try {
      setCaps(await api.captions());
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api]);
  // Whatever changed the dataset (an upload, a photo, a caption) may change the captions' state.
  useEffect(() => {
    void load();
  }, [load, state]);
  // Go reports the captioner's progress while SuggestCaptions waits for it.
  useEffect(
    () =>
      api.onEvent("dataset:captions", (d: unknown) => {
        const r = captionRunSchema.safeParse(d);
        if (r.success) setCaps((c) => (c ? { ...c, run: r.data } : c));
      }),
    [api],
  );
  // A run started before the app was closed: ask Go now and then until it ends.
  const following = inProgress(caps?.run) && busy === null;
  useEffect(() => {
    if (!following) return;
    const timer = setInterval(() => {
      void api.captions().then(
        (c) => {
          setCaps(c);
          if (!inProgress(c.run)) void reload();
        },
        () => undefined,
      );
    }, 2000);
    return () => clearInterval(timer);
  }, [following, api, reload]);

  const act = async (kind: "suggest" | "use", fn: () => Promise<CaptionState>) => {
    setBusy(kind);
    setError(undefined);
    try {
      setCaps(await fn());
    } catch (e) {
      setError((e as Error).message);
      void load();
    } finally {
      setBusy(null);
      await reload();
    }
  };

  if (!state || state.items.length === 0) return null;
  const template = caps?.template ?? state.caption_template ?? "";
  const run = caps?.run;
  const running = inProgress(run) || busy === "suggest";
  const uploaded = !!caps?.uploaded;
  const pending = (caps?.suggested ?? 0) + (caps?.unsent ?? 0);
  return (
    <section className="space-y-3 rounded-md border p-3" aria-labelledby={`${hintId}-title`} data-testid="captions-review">
      <div className="space-y-1">
        <h3 id={`${hintId}-title`} className="font-medium">
          {t("captions.title")}
        </h3>
        <p className="text-sm text-muted-foreground">{t("captions.description")}</p>
        <p id={hintId} className="text-xs text-muted-foreground">
          {t("captions.hint", { template })}
        </p>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <Button variant="outline" disabled={!uploaded || running || busy !== null} onClick={() => act("suggest", () => api.suggestCaptions(overwrite))}>
          {running ? <Loader2 className="h-4 w-4 animate-spin" aria-hidden /> : <Sparkles className="h-4 w-4" aria-hidden />} {t("captions.suggest")}
        </Button>
        <div className="flex items-center gap-2">
          <Checkbox id={overwriteId} checked={overwrite} onCheckedChange={(v) => setOverwrite(v === true)} disabled={running} />
          <Label htmlFor={overwriteId} className="text-sm font-normal">
            {t("captions.overwrite")}
          </Label>
        </div>
      </div>
      {!uploaded && caps && (
        <p className="text-xs text-muted-foreground" data-testid="captions-need-upload">
          {t("captions.needUpload")}
        </p>
      )}
      <CaptionRunNote run={run} busy={busy === "suggest"} />
      {error && (
        <p role="alert" className="text-sm text-destructive">
          {error}
        </p>
      )}
      {caps && pending > 0 && (
        <div className="flex flex-wrap items-center gap-3 rounded-md bg-amber-50 p-2 text-sm dark:bg-amber-950" data-testid="captions-pending">
          <div className="space-y-0.5">
            {caps.suggested > 0 && <p>{t("captions.toReview", { count: caps.suggested })}</p>}
            {caps.unsent > 0 && <p>{t("captions.toSend", { count: caps.unsent })}</p>}
          </div>
          <Button className="ml-auto" disabled={running || busy !== null} onClick={() => act("use", () => api.acceptCaptions())}>
            {busy === "use" && <Loader2 className="h-4 w-4 animate-spin" aria-hidden />} {t("captions.use")}
          </Button>
        </div>
      )}
      {caps && uploaded && pending === 0 && !running && (
        <p className="text-sm text-emerald-700 dark:text-emerald-400" data-testid="captions-ready">
          {t("captions.ready")}
        </p>
      )}
      <ul className="grid gap-2 sm:grid-cols-2" aria-label={t("captions.list")}>
        {state.items.map((it) => (
          <li key={it.id} className="flex gap-2 rounded-md border p-2 text-xs" data-testid={`caption-${it.name}`}>
            <img src={it.thumb_url} alt={it.name} className="h-16 w-16 shrink-0 rounded object-cover" loading="lazy" />
            <div className="min-w-0 flex-1 space-y-1">
              <PhotoName name={it.name} path={it.original_path} />
              <CaptionField api={api} item={it} template={template} hintId={hintId} showUnsent={uploaded} onSaved={() => void Promise.all([reload(), load()])} />
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** CaptionRunNote says where the captioner's last run stands. */
function CaptionRunNote({ run, busy }: { run?: CaptionRun | null; busy: boolean }) {
  const { t } = useTranslation("dataset");
  const status = run?.status ?? (busy ? "queued" : undefined);
  if (!status) return null;
  if (status === "queued" || status === "running") {
    return (
      <p role="status" className="flex items-center gap-2 text-sm" data-testid="caption-run" data-status={status}>
        <Loader2 className="h-4 w-4 animate-spin" aria-hidden />
        {t(status === "queued" ? "captions.runQueued" : "captions.runRunning")}
      </p>
    );
  }
  return (
    <p
      role="status"
      className={`text-sm ${status === "failed" ? "text-destructive" : "text-muted-foreground"}`}
      data-testid="caption-run"
      data-status={status}
    >
      {status === "failed" ? t("captions.runFailed", { error: run?.error ?? "" }) : t("captions.runDone", { count: run?.captioned ?? 0 })}
    </p>
  );
}
