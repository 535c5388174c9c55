import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Api, AppInfo, UpdateStatus } from "@/lib/api";
import { useFormat } from "@/lib/i18n/format";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogFooter, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { useUpdateStatus } from "./use-update-status";

/** AboutButton sits in the header and opens the About dialog; closing it gives the focus back to the button. */
export function AboutButton({ api }: { api: Api }) {
  const { t } = useTranslation("about");
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="ghost" size="sm">
          {t("button")}
        </Button>
      </DialogTrigger>
      {open && <AboutContent api={api} />}
    </Dialog>
  );
}

/** AboutDialog shows the app's version, its data folder and what the update check found. */
export function AboutDialog({ api, onClose }: { api: Api; onClose: () => void }) {
  return (
    <Dialog open onOpenChange={(o) => !o && onClose()}>
      <AboutContent api={api} />
    </Dialog>
  );
}

function AboutContent({ api }: { api: Api }) {
  const { t } = useTranslation("about");
  const [info, setInfo] = useState<AppInfo>();
  const [infoError, setInfoError] = useState<string>();
  const update = useUpdateStatus(api);
  useEffect(() => {
    api.appInfo().then(setInfo, (e: Error) => setInfoError(e.message));
  }, [api]);
  return (
    <DialogContent>
      <DialogTitle>{t("title")}</DialogTitle>
      <DialogDescription className="sr-only">{t("description")}</DialogDescription>
      {infoError && (
        <p role="alert" className="text-sm text-destructive">
          {infoError}
        </p>
      )}
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
        <dt className="text-muted-foreground">{t("version")}</dt>
        <dd data-testid="about-version">{info?.version ?? "…"}</dd>
        <dt className="text-muted-foreground">{t("dataDir")}</dt>
        <dd className="break-all font-mono text-xs" data-testid="about-data-dir">
          {info?.data_dir ?? "…"}
        </dd>
        <dt className="text-muted-foreground">{t("updates")}</dt>
        <dd data-testid="about-update">
          <UpdateLine status={update.status} onDownload={() => void update.download()} />
          {update.error && (
            <span role="alert" className="block text-destructive">
              {update.error}
            </span>
          )}
        </dd>
      </dl>
      <DialogFooter>
        <DialogClose asChild>
          <Button variant="outline">{t("close")}</Button>
        </DialogClose>
      </DialogFooter>
    </DialogContent>
  );
}

/** UpdateLine says in words what the update check found. */
function UpdateLine({ status, onDownload }: { status: UpdateStatus | null; onDownload: () => void }) {
  const { t } = useTranslation("about");
  const fmt = useFormat();
  if (!status) return <>…</>;
  if (!status.enabled) return <>{t("update.off", { note: status.note ?? t("update.offNote") })}</>;
  const when = status.checked_at ? fmt.dateTime(status.checked_at) : "";
  if (status.available) {
    return (
      <>
        {t("update.available", { version: status.available.version })}{" "}
        <Button size="sm" variant="outline" onClick={onDownload}>
          {t("update.download")}
        </Button>
      </>
    );
  }
  if (!when) return <>{t("update.notYet")}</>;
  if (status.note) return <>{t("update.noRelease", { when, note: status.note })}</>;
  return <>{t("update.upToDate", { when })}</>;
}
