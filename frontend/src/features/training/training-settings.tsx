import { useEffect, useState } from "react";
import { limits, type Api, type Preset, type TrainingParams } from "@/lib/api";

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
        This server's GPU provider does not train {baseModel}: pick another Trainable Base Model above.
      </p>
    );
  }
  const field = (key: "rank" | "steps" | "learning_rate", label: string) => (
    <label className="text-xs text-muted-foreground">
      {label}
      <input
        type="number"
        {...bounds[key]}
        value={values[key] ?? preset[key]}
        onChange={(e) => setValues({ ...values, [key]: Number(e.target.value) })}
        className="mt-1 h-8 w-28 rounded-md border border-input bg-background px-2 text-sm text-foreground"
      />
    </label>
  );
  return (
    <details className="w-full rounded-md border p-2 text-sm" data-testid="training-settings">
      <summary className="cursor-pointer">Advanced training settings ({baseModel} preset)</summary>
      <div className="mt-2 flex flex-wrap gap-3">
        {field("steps", `Steps (${bounds.steps.min}–${bounds.steps.max})`)}
        {field("rank", `Rank (${bounds.rank.min}–${bounds.rank.max})`)}
        {field("learning_rate", "Learning rate (1e-6–1e-3)")}
        <label className="text-xs text-muted-foreground">
          Trigger word (a-z, 0-9, _)
          <input
            value={values.trigger_word ?? preset.trigger_word}
            pattern="[a-z0-9_]{2,32}"
            onChange={(e) => setValues({ ...values, trigger_word: e.target.value })}
            className="mt-1 h-8 w-32 rounded-md border border-input bg-background px-2 text-sm text-foreground"
          />
        </label>
      </div>
      <p className="mt-2 text-xs text-muted-foreground">
        Resolution {preset.resolution}, captions “{preset.caption_template}”. The server refuses values outside these bounds.
      </p>
    </details>
  );
}
