import { useEffect, useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { Input, Textarea } from "@/components/ui/input";
import { useFormat } from "@/lib/i18n/format";
import { limits, type ActiveLoRA, type Api, type CompileResult, type Exported, type Profile } from "@/lib/api";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Select, SelectContent, SelectGroup, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";

/**
 * CompilePanel previews the compiled prompt live, offline: a LoRA block for
 * the pipelines that load one, the platform's own wording (and never a LoRA
 * block) for the rest.
 */
export function CompilePanel({ api, targetPlatform }: { api: Api; targetPlatform: string }) {
  const { t } = useTranslation("compiler");
  const fmt = useFormat();
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [platform, setPlatform] = useState(targetPlatform);
  const [text, setText] = useState(() => t("defaultPrompt"));
  const [name, setName] = useState("me");
  const [trigger, setTrigger] = useState("ohwx");
  const [weight, setWeight] = useState(0.9);
  const [describe, setDescribe] = useState("");
  const [result, setResult] = useState<CompileResult>();
  const [error, setError] = useState<string>();
  const [exported, setExported] = useState<Exported>();
  const [exportError, setExportError] = useState<string>();
  const [filled, setFilled] = useState<ActiveLoRA | null>(null);
  const ids = { prompt: useId(), describe: useId(), weight: useId(), name: useId(), trigger: useId() };

  useEffect(() => {
    api.profiles().then(setProfiles, (e: Error) => setError(e.message));
    // The active version's file name and trigger phrase, when its LoRA is
    // downloaded: nothing to remember or retype.
    api.activeLoRA().then(
      (a) => {
        if (!a) return;
        setFilled(a);
        setName(a.name);
        if (a.trigger) setTrigger(a.trigger);
        if (a.weight) setWeight(a.weight);
      },
      () => undefined,
    );
  }, [api]);
  useEffect(() => setPlatform(targetPlatform), [targetPlatform]);

  const profile = profiles.find((p) => p.id === platform);
  useEffect(() => {
    let live = true;
    // Compiling is local and fast; a short pause keeps typing smooth.
    const t = setTimeout(() => {
      api
        .compile({
          platform,
          prompt: { text },
          identity: { name, trigger, weight, describe },
          options: { references: -1 },
        })
        .then(
          (r) => live && (setResult(r), setError(undefined)),
          (e: Error) => live && (setResult(undefined), setError(e.message)),
        );
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, platform, text, name, trigger, weight, describe]);

  const pipelines = profiles.filter((p) => p.supports_lora);
  const targets = profiles.filter((p) => !p.supports_lora);
  return (
    <Card data-testid="compile-panel">
      <CardHeader>
        <CardTitle>{t("title")}</CardTitle>
        <CardDescription>
          {t("description")}
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-3 text-sm">
        <div className="grid gap-3 md:grid-cols-2">
          <div>
            <span className="mb-1 block text-xs text-muted-foreground">{t("compileFor")}</span>
            <Select value={platform} onValueChange={setPlatform}>
              <SelectTrigger aria-label={t("compileFor")}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectGroup>
                  {pipelines.map((p) => (
                    <SelectItem key={p.id} value={p.id}>
                      {t("loadsLora", { name: p.name })}
                    </SelectItem>
                  ))}
                </SelectGroup>
                <SelectGroup>
                  {targets.map((p) => (
                    <SelectItem key={p.id} value={p.id}>
                      {p.name}
                    </SelectItem>
                  ))}
                </SelectGroup>
              </SelectContent>
            </Select>
          </div>
          {profile?.supports_lora ? (
            <div className="grid grid-cols-3 gap-2">
              <label htmlFor={ids.name} className="text-xs text-muted-foreground">
                {t("loraName")}
                <Input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} className="mt-1" />
              </label>
              <label htmlFor={ids.trigger} className="text-xs text-muted-foreground">
                {t("trigger")}
                <Input id={ids.trigger} value={trigger} onChange={(e) => setTrigger(e.target.value)} className="mt-1" />
              </label>
              <label htmlFor={ids.weight} className="text-xs text-muted-foreground">
                {t("weight", { weight: fmt.number(weight, { min: 2 }) })}
                <input id={ids.weight} type="range" min={limits.loraWeight.min} max={limits.loraWeight.max} step={0.05} value={weight} onChange={(e) => setWeight(Number(e.target.value))} className="mt-3 w-full" />
              </label>
              {filled && (
                <p data-testid="compile-filled" className="col-span-3 text-xs text-muted-foreground">
                  {t("filled", { name: filled.name })}
                </p>
              )}
            </div>
          ) : (
            <label htmlFor={ids.describe} className="text-xs text-muted-foreground">
              {t("describe")}
              <Input
                id={ids.describe}
                value={describe}
                placeholder={t("describePlaceholder")}
                onChange={(e) => setDescribe(e.target.value)}
                className="mt-1"
              />
            </label>
          )}
        </div>
        <label htmlFor={ids.prompt} className="block text-xs text-muted-foreground">
          {t("prompt")}
          <Textarea id={ids.prompt} value={text} onChange={(e) => setText(e.target.value)} rows={3} className="mt-1" />
        </label>
        {profile && profile.status !== "available" && (
          <p className="rounded-md border border-amber-500 p-2 text-xs" data-testid="profile-status">
            {t("profileStatus", {
              name: profile.name,
              status: t(`status.${profile.status}`, { defaultValue: profile.status.replace("_", " ") }),
              checked: profile.checked,
              note: profile.status_note,
            })}
          </p>
        )}
        {error && <p role="alert" className="text-destructive">{error}</p>}
        {result && profile && !profile.supports_lora && (
          <div className="flex flex-wrap items-center gap-3">
            <Button
              size="sm"
              onClick={() => {
                setExportError(undefined);
                api
                  .exportPack({ platform, prompt: { text }, identity: { name, describe }, options: { references: -1 } })
                  .then((e) => e.path && setExported(e), (e: Error) => setExportError(e.message));
              }}
            >
              {t("export")}
            </Button>
            {exported && (
              <>
                <span className="text-xs" data-testid="exported">
                  {t("exported", { path: exported.path, count: exported.references })}
                </span>
                <Button size="sm" variant="outline" onClick={() => api.revealInFileManager(exported.path).catch((e: Error) => setExportError(e.message))}>
                  {t("reveal")}
                </Button>
              </>
            )}
            {exportError && <span className="text-xs text-destructive">{exportError}</span>}
          </div>
        )}
        {result && (
          <div className="space-y-1">
            <pre className="whitespace-pre-wrap rounded-md bg-muted p-3 font-mono text-xs" data-testid="compiled-prompt" aria-label={t("compiled")}>
              {result.prompt}
            </pre>
            <p className="text-xs text-muted-foreground">
              {t("chars", { count: result.prompt_chars, max: fmt.number(result.prompt_max_chars), chars: fmt.number(result.prompt_chars) })}
              {" · "}
              {result.lora_block ? t("loraBlock", { block: result.lora_block }) : t("noLoraBlock")}
            </p>
            {result.warnings?.map((w) => (
              <p key={w} className="text-xs text-amber-700 dark:text-amber-400">
                {w}
              </p>
            ))}
          </div>
        )}
      </CardContent>
    </Card>
  );
}
