import { X } from "lucide-react";
import { useTranslation } from "react-i18next";
import type { Api } from "@/lib/api";
import { Button } from "@/components/ui/button";
import { useUpdateStatus } from "./use-update-status";

/**
 * UpdateBanner says a newer LoRA Studio exists, once Go has verified the
 * release's signature. Download only opens its page in the browser.
 */
export function UpdateBanner({ api }: { api: Api }) {
  const { t } = useTranslation("about");
  const { status, error, download, dismiss } = useUpdateStatus(api);
  const release = status?.available;
  if (!release) return null;
  return (
    <div
      role="region"
      aria-label={t("banner.label")}
      className="flex flex-wrap items-center gap-2 border-b bg-accent px-6 py-2 text-sm"
      data-testid="update-banner"
    >
      <span>
        {status.current
          ? t("banner.availableHave", { version: release.version, current: status.current })
          : t("banner.available", { version: release.version })}
      </span>
      <span aria-hidden>—</span>
      <Button size="sm" variant="outline" onClick={() => void download()}>
        {t("update.download")}
      </Button>
      {release.notes && <span className="text-xs text-muted-foreground">{release.notes}</span>}
      {error && (
        <span role="alert" className="text-xs text-destructive">
          {error}
        </span>
      )}
      <Button
        size="icon"
        variant="ghost"
        className="ml-auto h-7 w-7"
        aria-label={t("banner.dismiss", { version: release.version })}
        onClick={() => void dismiss(release.version)}
      >
        <X className="h-4 w-4" />
      </Button>
    </div>
  );
}
