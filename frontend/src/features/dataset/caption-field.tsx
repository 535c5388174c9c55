import { useEffect, useId, useState, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Api, CaptionedItem, DatasetItem } from "@/lib/api";
import { Badge } from "@/components/ui/badge";
import { Textarea } from "@/components/ui/input";

/**
 * CaptionField shows a photo's caption and lets the user edit it in place:
 * saved on blur or Enter (Escape puts back the saved text), an empty one
 * showing the template as its placeholder. Go checks the caption; its
 * message shows under the field, and the text typed stays so nothing is
 * lost. hintId names the sentence explaining {trigger}, shown once above
 * the photos.
 */
export function CaptionField({
  api,
  item,
  template,
  hintId,
  showUnsent = false,
  onSaved,
}: {
  api: Api;
  item: Pick<DatasetItem, "id" | "name" | "caption" | "caption_source" | "caption_sent">;
  template: string;
  hintId?: string;
  /** showUnsent marks an edit the server does not have yet (once the photos are uploaded). */
  showUnsent?: boolean;
  onSaved?: (item: CaptionedItem) => void;
}) {
  const { t } = useTranslation("dataset");
  const stored = item.caption ?? "";
  const [value, setValue] = useState(stored);
  const [saved, setSaved] = useState(stored);
  const [status, setStatus] = useState<"idle" | "saving" | "saved">("idle");
  const [error, setError] = useState<string>();
  const id = useId();
  const errorId = useId();
  // What Go stored wins when it changes (suggestions arrived, another field saved it).
  useEffect(() => {
    setValue(stored);
    setSaved(stored);
  }, [stored]);

  const save = async () => {
    const next = value.trim();
    if (next === saved && !error) {
      setValue(next);
      return;
    }
    setStatus("saving");
    try {
      const it = await api.setCaption(item.id, next);
      setSaved(it.caption ?? "");
      setValue(it.caption ?? "");
      setError(undefined);
      setStatus("saved");
      onSaved?.(it);
    } catch (e) {
      // The text typed stays in the field: the user fixes it rather than retypes it.
      setError((e as Error).message);
      setStatus("idle");
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter") {
      e.preventDefault(); // one line: Enter saves
      void save();
    } else if (e.key === "Escape") {
      setValue(saved);
      setError(undefined);
    }
  };
  const describedBy = [error ? errorId : "", hintId ?? ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className="space-y-1" data-testid="caption-field" data-source={item.caption_source ?? "template"}>
      <div className="flex flex-wrap items-center gap-1">
        <label htmlFor={id} className="text-[11px] font-medium text-muted-foreground">
          {t("captions.label")}
        </label>
        {item.caption_source === "auto" && <Badge variant="warning">{t("captions.suggestion")}</Badge>}
        {showUnsent && item.caption_sent === false && (
          <span className="text-[11px] text-amber-700 dark:text-amber-400" data-testid="caption-unsent">
            {t("captions.unsent")}
          </span>
        )}
        <span className="ml-auto text-[11px] text-muted-foreground" aria-live="polite">
          {status === "saving" ? t("captions.saving") : status === "saved" && value === saved ? t("captions.saved") : ""}
        </span>
      </div>
      <Textarea
        id={id}
        rows={2}
        value={value}
        placeholder={template}
        aria-label={t("captions.fieldLabel", { name: item.name })}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        className={`resize-y text-xs ${error ? "border-destructive" : ""}`}
        onChange={(e) => {
          setValue(e.target.value.replace(/[\r\n]+/g, " "));
          setStatus("idle");
        }}
        onBlur={() => void save()}
        onKeyDown={onKeyDown}
      />
      {error && (
        <p id={errorId} role="alert" className="text-[11px] text-destructive">
          {error}
        </p>
      )}
    </div>
  );
}
