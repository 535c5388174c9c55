import { useEffect, useState } from "react";
import { Trans, useTranslation } from "react-i18next";
import { useFormat } from "@/lib/i18n/format";
import { downloadProgressSchema, type Api, type InstallFolder, type Installed, type Version } from "@/lib/api";
import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Progress } from "@/components/ui/progress";

/**
 * VersionFile gets a ready version's LoRA onto this computer (download with
 * progress, resumable, cancelable) and into the user's generator (install
 * into a detected or chosen folder, asking before replacing a file).
 */
export function VersionFile({ api, version, onDownloaded }: { api: Api; version: Version; onDownloaded: () => void }) {
  const { t } = useTranslation("training");
  const fmt = useFormat();
  const [progress, setProgress] = useState<{ done: number; total: number }>();
  const [note, setNote] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const file = version.download;

  useEffect(
    () =>
      api.onEvent("download:progress", (raw) => {
        const p = downloadProgressSchema.safeParse(raw);
        if (!p.success || p.data.version_id !== version.id) return;
        if (p.data.total > 0) setProgress({ done: p.data.done, total: p.data.total });
        if (p.data.message) setNote(p.data.message);
      }),
    [api, version.id],
  );

  const start = () => {
    setBusy(true);
    setError(undefined);
    setNote(undefined);
    api.downloadVersion(version.id).then(
      (f) => {
        setBusy(false);
        setProgress({ done: f.size, total: f.size });
        setNote(undefined);
        onDownloaded();
      },
      (e: Error & { code?: string }) => {
        setBusy(false);
        setNote(undefined);
        setError(
          e.code === "download_canceled"
            ? t("download.canceled")
            : e.code === "download_corrupt"
              ? t("download.corrupt")
              : e.code === "unavailable"
                ? t("download.dropped")
                : e.code === "download_url_expired"
                  ? t("download.expired")
                  : e.message,
        );
      },
    );
  };

  if (!file) {
    const pct = progress && progress.total > 0 ? Math.floor((progress.done / progress.total) * 100) : 0;
    return (
      <div className="w-full space-y-1" data-testid={`download-v${version.number}`}>
        <div className="flex flex-wrap items-center gap-2">
          <Button size="sm" variant="outline" disabled={busy} onClick={start}>
            {progress && !busy ? t("download.resume") : t("download.start")}
          </Button>
          {busy && (
            <Button size="sm" variant="ghost" onClick={() => void api.cancelDownload(version.id)}>
              {t("download.cancel")}
            </Button>
          )}
          {busy && progress && (
            <span className="text-xs text-muted-foreground" data-testid="download-percent">
              {t("download.progress", { percent: fmt.percent(pct / 100), done: fmt.bytes(progress.done), total: fmt.bytes(progress.total) })}
            </span>
          )}
        </div>
        {busy && <Progress value={progress?.done ?? 0} max={progress?.total ?? 1} label={t("download.label", { number: version.number })} />}
        {note && <p role="status" className="text-xs text-amber-700 dark:text-amber-400">{note}</p>}
        {error && <p className="text-xs text-destructive">{error}</p>}
      </div>
    );
  }
  return (
    <div className="w-full space-y-1" data-testid={`download-v${version.number}`}>
      <p className="text-xs text-muted-foreground" data-testid="downloaded">
        <Trans t={t} i18nKey="download.done" values={{ path: file.path }} components={{ code: <span className="font-mono" /> }} />
      </p>
      <InstallInto api={api} version={version} />
    </div>
  );
}

function InstallInto({ api, version }: { api: Api; version: Version }) {
  const { t } = useTranslation("training");
  const [folders, setFolders] = useState<InstallFolder[]>([]);
  const [folder, setFolder] = useState("");
  const [ask, setAsk] = useState<string>();
  const [done, setDone] = useState<Installed>();
  const [error, setError] = useState<string>();

  const load = (pick?: string) =>
    api.installFolders().then(
      (fs) => {
        setFolders(fs);
        setFolder((cur) => pick ?? (cur || fs[0]?.path || ""));
      },
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api]);

  const choose = () =>
    api.chooseInstallFolder().then(
      (f) => f && void load(f.path),
      (e: Error) => setError(e.message),
    );

  const install = (replace: boolean) => {
    setError(undefined);
    setAsk(undefined);
    setDone(undefined);
    api.installVersion({ version_id: version.id, folder, replace }).then(setDone, (e: Error & { code?: string }) => {
      if (e.code === "install_conflict") setAsk(e.message);
      else setError(e.message);
    });
  };

  return (
    <div className="space-y-1">
      <div className="flex flex-wrap items-center gap-2">
        <label className="flex items-center gap-1 text-xs">
          {t("install.into")}
          <select
            aria-label={t("install.intoLabel", { number: version.number })}
            value={folder}
            onChange={(e) => setFolder(e.target.value)}
            className="h-8 max-w-72 rounded-md border border-input bg-background px-2 text-xs"
          >
            {folders.length === 0 && <option value="">{t("install.noFolder")}</option>}
            {folders.map((f) => (
              <option key={f.path} value={f.path}>
                {t("install.folder", { app: f.app, path: f.path })}
              </option>
            ))}
          </select>
        </label>
        <Button size="sm" variant="ghost" onClick={() => void choose()}>
          {t("install.choose")}
        </Button>
        <Button size="sm" variant="outline" disabled={!folder} onClick={() => install(false)}>
          {t("install.button")}
        </Button>
      </div>
      {folders.find((f) => f.path === folder)?.note && (
        <p className="text-xs text-muted-foreground">{folders.find((f) => f.path === folder)?.note}</p>
      )}
      <AlertDialog open={!!ask} onOpenChange={(o) => !o && setAsk(undefined)}>
        <AlertDialogContent>
          <AlertDialogTitle>{t("install.replaceTitle")}</AlertDialogTitle>
          <AlertDialogDescription>{ask}</AlertDialogDescription>
          <AlertDialogFooter>
            <AlertDialogCancel>{t("install.cancel")}</AlertDialogCancel>
            <AlertDialogAction destructive onClick={() => install(true)}>
              {t("install.replace")}
            </AlertDialogAction>
          </AlertDialogFooter>
        </AlertDialogContent>
      </AlertDialog>
      {done && (
        <div role="status" className="text-xs" data-testid="installed">
          <p>
            <Trans t={t} i18nKey={done.already ? "install.already" : "install.done"} values={{ path: done.path }} components={{ code: <span className="font-mono" /> }} />
          </p>
          <p className="text-muted-foreground">
            <Trans t={t} i18nKey="install.useName" values={{ name: done.lora_name }} components={{ code: <span className="font-mono" /> }} />
            {done.workflow_file && (
              <>
                {" "}
                <Trans t={t} i18nKey="install.workflow" values={{ file: done.workflow_file }} components={{ code: <span className="font-mono" /> }} />
              </>
            )}
          </p>
          {done.note && <p className="text-muted-foreground">{done.note}</p>}
        </div>
      )}
      {error && <p className="text-xs text-destructive">{error}</p>}
    </div>
  );
}
