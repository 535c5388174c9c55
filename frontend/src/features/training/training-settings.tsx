import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { limits, type Api, type Preset, type TrainingParams } from "@/lib/api";
import { Input } from "@/components/ui/input";
import { useFormat } from "@/lib/i18n/format";

// The bounds the server enforces, generated from Go (internal/studio/limits.go).
const bounds = {
  rank: { ...limits.training.rank, step: 4 },
  steps: { ...limits.training.steps, step: 100 },
  learning_rate: { ...limits.training.learning_rate, step: limits.training.learning_rate.min },
} as const;

/**
 * TrainingSettings shows the server's preset for the base model and lets
 * the user override it within the documented bounds. It reports the
 * overrides (only what differs from the preset), or null when the server's
 * GPU provider cannot train this base model.
 */
export function TrainingSettings({
  api,
  baseModel,
  onChange,
}: {
  api: Api;
  baseModel: string;
  onChange: (params: TrainingParams | null) => void;
}) {
  const { t } = useTranslation("training");
  const fmt = useFormat();
  const [preset, setPreset] = useState<Preset | null | undefined>();
  const [values, setValues] = useState<Partial<Preset>>({});
  const [error, setError] = useState<string>();

  useEffect(() => {
    api.trainableModels().then(
      (ms) => {
        const m = ms.find((x) => x.id === baseModel);
        setPreset(m ? m.preset : null);
        setValues({});
      },
      (e: Error) => setError(e.message),
    );
  }, [api, baseModel]);

  useEffect(() => {
    if (preset === undefined) return;
    onChange(preset === null ? null : values);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [preset, values]);

  if (error) return <p className="text-xs text-destructive">{error}</p>;
  if (preset === undefined) return null;
  if (preset === null) {
    return (
      <p role="alert" className="text-sm text-destructive" data-testid="model-unsupported">
        {t("settings.unsupported", { model: baseModel })}
      </p>
    );
  }
  const field = (key: "rank" | "steps" | "learning_rate", label: string) => (
    <label className="text-xs text-muted-foreground">
      {label}
      <Input
        type="number"
        {...bounds[key]}
        value={values[key] ?? preset[key]}
        onChange={(e) => setValues({ ...values, [key]: Number(e.target.value) })}
        className="mt-1 h-8 w-28"
      />
    </label>
  );
  const range = (key: "rank" | "steps") => ({ min: fmt.number(bounds[key].min), max: fmt.number(bounds[key].max) });
  return (
    <details className="w-full rounded-md border p-2 text-sm" data-testid="training-settings">
      <summary className="cursor-pointer">{t("settings.summary", { model: baseModel })}</summary>
      <div className="mt-2 flex flex-wrap gap-3">
        {field("steps", t("settings.steps", range("steps")))}
        {field("rank", t("settings.rank", range("rank")))}
        {field("learning_rate", t("settings.learningRate"))}
        <label className="text-xs text-muted-foreground">
          {t("settings.trigger")}
          <Input
            value={values.trigger_word ?? preset.trigger_word}
            pattern="[a-z0-9_]{2,32}"
            onChange={(e) => setValues({ ...values, trigger_word: e.target.value })}
            className="mt-1 h-8 w-32"
          />
        </label>
      </div>
      <p className="mt-2 text-xs text-muted-foreground">
        {t("settings.preset", { resolution: preset.resolution, caption: preset.caption_template })}
      </p>
    </details>
  );
}
