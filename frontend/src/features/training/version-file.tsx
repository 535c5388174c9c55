import { useEffect, useState } from "react";
import { downloadProgressSchema, type Api, type InstallFolder, type Installed, type Version } from "@/lib/api";
import { Button } from "@/components/ui/button";
import { Progress } from "@/components/ui/progress";

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/**
 * VersionFile gets a ready version's LoRA onto this computer (download with
 * progress, resumable, cancelable) and into the user's generator (install
 * into a detected or chosen folder, asking before replacing a file).
 */
export function VersionFile({ api, version, onDownloaded }: { api: Api; version: Version; onDownloaded: () => void }) {
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
            ? "Download stopped. What arrived is kept: downloading again resumes from there."
            : e.code === "download_corrupt"
              ? "The downloaded file did not match the server's checksum, so it was deleted. Download it again."
              : e.code === "unavailable"
                ? "The connection dropped. Download again: it resumes where it stopped."
                : e.code === "download_url_expired"
                  ? "The server kept refusing the download link. Download again for a new one; it resumes."
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
            {progress && !busy ? "Resume download" : "Download"}
          </Button>
          {busy && (
            <Button size="sm" variant="ghost" onClick={() => void api.cancelDownload(version.id)}>
              Cancel download
            </Button>
          )}
          {busy && progress && (
            <span className="text-xs text-muted-foreground" data-testid="download-percent">
              {pct}% ({mb(progress.done)} of {mb(progress.total)})
            </span>
          )}
        </div>
        {busy && <Progress value={progress?.done ?? 0} max={progress?.total ?? 1} label={`Download of v${version.number}`} />}
        {note && <p role="status" className="text-xs text-amber-700 dark:text-amber-400">{note}</p>}
        {error && <p className="text-xs text-destructive">{error}</p>}
      </div>
    );
  }
  return (
    <div className="w-full space-y-1" data-testid={`download-v${version.number}`}>
      <p className="text-xs text-muted-foreground" data-testid="downloaded">
        Downloaded (checked against the server's sha256): <span className="font-mono">{file.path}</span>
      </p>
      <InstallInto api={api} version={version} />
    </div>
  );
}

function InstallInto({ api, version }: { api: Api; version: Version }) {
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
          Install into
          <select
            aria-label={`Install v${version.number} into`}
            value={folder}
            onChange={(e) => setFolder(e.target.value)}
            className="h-8 max-w-72 rounded-md border border-input bg-background px-2 text-xs"
          >
            {folders.length === 0 && <option value="">No generator found: choose its LoRA folder</option>}
            {folders.map((f) => (
              <option key={f.path} value={f.path}>
                {f.app}: {f.path}
              </option>
            ))}
          </select>
        </label>
        <Button size="sm" variant="ghost" onClick={() => void choose()}>
          Choose folder…
        </Button>
        <Button size="sm" variant="outline" disabled={!folder} onClick={() => install(false)}>
          Install
        </Button>
      </div>
      {folders.find((f) => f.path === folder)?.note && (
        <p className="text-xs text-muted-foreground">{folders.find((f) => f.path === folder)?.note}</p>
      )}
      {ask && (
        <div role="alertdialog" aria-label="Replace the file?" className="flex flex-wrap items-center gap-2 rounded-md border border-amber-500 p-2 text-xs">
          <span>{ask}</span>
          <Button size="sm" variant="destructive" onClick={() => install(true)}>
            Replace
          </Button>
          <Button size="sm" variant="outline" onClick={() => setAsk(undefined)}>
            Cancel
          </Button>
        </div>
      )}
      {done && (
        <div role="status" className="text-xs" data-testid="installed">
          <p>
            {done.already ? "Already installed" : "Installed"} in <span className="font-mono">{done.path}</span>.
          </p>
          <p className="text-muted-foreground">
            Use the LoRA name <span className="font-mono">{done.lora_name}</span> when you compile a prompt.
            {done.workflow_file && (
              <>
                {" "}
                The compiled ComfyUI workflow then loads exactly <span className="font-mono">{done.workflow_file}</span>.
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
