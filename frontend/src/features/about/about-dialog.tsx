import { useEffect, useRef, useState } from "react";
import type { Api, AppInfo, UpdateStatus } from "@/lib/api";
import { Button } from "@/components/ui/button";
import { useUpdateStatus } from "./use-update-status";

/** AboutButton sits in the header and opens the About dialog. */
export function AboutButton({ api }: { api: Api }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="ghost" size="sm" onClick={() => setOpen(true)}>
        About
      </Button>
      {open && <AboutDialog api={api} onClose={() => setOpen(false)} />}
    </>
  );
}

/** AboutDialog shows the app's version, its data folder and what the update check found. */
export function AboutDialog({ api, onClose }: { api: Api; onClose: () => void }) {
  const [info, setInfo] = useState<AppInfo>();
  const [infoError, setInfoError] = useState<string>();
  const update = useUpdateStatus(api);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    api.appInfo().then(setInfo, (e: Error) => setInfoError(e.message));
  }, [api]);
  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/50" onClick={onClose}>
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="about-title"
        className="w-full max-w-md space-y-4 rounded-lg border bg-background p-6 shadow-lg"
        onClick={(e) => e.stopPropagation()}
      >
        <h2 id="about-title" className="text-lg font-semibold">
          About LoRA Studio
        </h2>
        {infoError && (
          <p role="alert" className="text-sm text-destructive">
            {infoError}
          </p>
        )}
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
          <dt className="text-muted-foreground">Version</dt>
          <dd data-testid="about-version">{info?.version ?? "…"}</dd>
          <dt className="text-muted-foreground">Data folder</dt>
          <dd className="break-all font-mono text-xs" data-testid="about-data-dir">
            {info?.data_dir ?? "…"}
          </dd>
          <dt className="text-muted-foreground">Updates</dt>
          <dd data-testid="about-update">
            <UpdateLine status={update.status} onDownload={() => void update.download()} />
            {update.error && (
              <span role="alert" className="block text-destructive">
                {update.error}
              </span>
            )}
          </dd>
        </dl>
        <div className="flex justify-end">
          <Button ref={closeRef} variant="outline" onClick={onClose}>
            Close
          </Button>
        </div>
      </div>
    </div>
  );
}

/** UpdateLine says in words what the update check found. */
function UpdateLine({ status, onDownload }: { status: UpdateStatus | null; onDownload: () => void }) {
  if (!status) return <>…</>;
  if (!status.enabled) return <>Not checked: {status.note ?? "update checks are off"}.</>;
  const when = status.checked_at ? new Date(status.checked_at).toLocaleString() : "";
  if (status.available) {
    return (
      <>
        LoRA Studio {status.available.version} is available —{" "}
        <Button size="sm" variant="outline" onClick={onDownload}>
          Download
        </Button>
      </>
    );
  }
  if (!when) return <>Not checked yet: LoRA Studio checks once a day.</>;
  if (status.note) return <>The last check ({when}) found no usable release: {status.note}.</>;
  return <>Up to date (checked {when}).</>;
}
