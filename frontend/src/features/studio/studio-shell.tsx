import { Moon, Sun } from "lucide-react";
import type { Api } from "@/lib/api";
import { api as defaultApi } from "@/lib/api";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { ConsentCard, WithdrawConsent } from "@/features/consent/consent-card";
import { DatasetPanel } from "@/features/dataset/dataset-panel";
import { CompilePanel } from "@/features/compiler/compile-panel";
import { AccountPanel } from "@/features/account/account-panel";
import { TrainingPanel } from "@/features/training/training-panel";
import { AboutButton } from "@/features/about/about-dialog";
import { LaunchedAgain } from "@/features/about/launched-again";
import { UpdateBanner } from "@/features/about/update-banner";
import { jobCreatedSchema, type JobCreated, type TrainingParams } from "@/lib/api";
import { useEffect, useState, type ReactNode } from "react";
import type { BaseModelList, ConsentStatus } from "@/lib/api";
import { useTranslation } from "react-i18next";
import { LanguageSwitch } from "@/components/language-switch";
import { useSelection } from "./use-selection";
import { useTheme } from "./use-theme";

/** StudioShell is the first screen: the studio's frame and its two dropdowns. */
export function StudioShell({ api = defaultApi }: { api?: Api }) {
  const { state, update, reloadModels } = useSelection(api);
  const { theme, toggle } = useTheme();
  const { t } = useTranslation();
  const [consent, setConsent] = useState<ConsentStatus | null>(null);
  const [notice, setNotice] = useState<string>();
  const [signedIn, setSignedIn] = useState(false);
  const [job, setJob] = useState<JobCreated | null>(null);
  const [trainError, setTrainError] = useState<string>();
  const [trainNote, setTrainNote] = useState<string>();
  // A request the outbox delivers later arrives as an event.
  useEffect(
    () =>
      api.onEvent("training:started", (d: unknown) => {
        const j = jobCreatedSchema.safeParse(d);
        if (j.success) {
          setTrainNote(undefined);
          setJob(j.data);
        }
      }),
    [api],
  );
  const startTraining = (baseModel: string, params?: TrainingParams) => {
    setTrainError(undefined);
    api.startTraining({ base_model: baseModel, params }).then(
      (r) => {
        if (r.job) setJob(r.job);
        setTrainNote(r.queued ? r.message : undefined);
      },
      (e: Error) => setTrainError(e.message),
    );
  };
  const loadConsent = () => api.getConsent().then(setConsent, () => setConsent(null));
  // The outbox settles a queued consent later; it says so with an event.
  useEffect(
    () =>
      api.onEvent("consent:server", () => {
        void loadConsent();
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api],
  );
  useEffect(() => {
    api.account().then(
      (a) => {
        setSignedIn(a.signed_in);
        // Pick up the training the app followed before it was closed.
        if (a.signed_in) api.lastJob().then(setJob, () => {});
      },
      () => setSignedIn(false),
    );
    void loadConsent();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api]);

  return (
    <div className="min-h-screen">
      <header className="flex items-center justify-between border-b px-6 py-3">
        <div>
          <h1 className="text-lg font-semibold tracking-tight">{t("appName")}</h1>
          <p className="text-xs text-muted-foreground">{t("tagline")}</p>
        </div>
        <div className="flex items-center gap-1">
          <LanguageSwitch />
          <AboutButton api={api} />
          <Button
            variant="ghost"
            size="icon"
            onClick={toggle}
            aria-label={theme === "dark" ? t("theme.toLight") : t("theme.toDark")}
          >
            {theme === "dark" ? <Sun className="h-4 w-4" /> : <Moon className="h-4 w-4" />}
          </Button>
        </div>
      </header>
      <UpdateBanner api={api} />
      <LaunchedAgain api={api} />

      <main className="mx-auto max-w-4xl p-6">
        {state.status === "loading" && <p className="text-sm text-muted-foreground">Loading…</p>}
        {state.status === "error" && (
          <p role="alert" className="text-sm text-destructive">
            The studio could not load its settings: {state.message}. Restart LoRA Studio; if it happens again, the log
            in the data folder says why.
          </p>
        )}
        {state.status === "ready" && (
          <div className="grid gap-4 md:grid-cols-2">
            <ChoiceCard
              id="target-platform"
              label="Target Platform"
              description="Where you will generate. These platforms cannot load a LoRA: LoRA Studio writes the prompt in their style and exports a Character Pack with your reference photos."
              value={state.selection.target_platform}
              options={state.platforms}
              disabled={state.saving}
              onChange={(v) => update({ target_platform: v })}
            />
            <ChoiceCard
              id="base-model"
              label="Trainable Base Model"
              description="The model your LoRA is trained on. Used only for training; a LoRA loads in Flux or SDXL pipelines."
              value={state.selection.base_model}
              options={state.baseModels.models}
              disabled={state.saving}
              onChange={(v) => update({ base_model: v })}
            >
              <ModelsSource list={state.baseModels} selected={state.selection.base_model} />
            </ChoiceCard>

            <p className="text-sm text-muted-foreground md:col-span-2" aria-live="polite" data-testid="selection-status">
              {state.saveError ? (
                <span role="alert" className="text-destructive">
                  Not saved: {state.saveError}
                </span>
              ) : state.saving ? (
                "Saving…"
              ) : (
                <>
                  Generate for{" "}
                  <strong>{state.platforms.find((p) => p.id === state.selection.target_platform)?.name}</strong>; train
                  on{" "}
                  <strong>
                    {state.baseModels.models.find((m) => m.id === state.selection.base_model)?.name ??
                      state.selection.base_model}
                  </strong>
                  .
                </>
              )}
            </p>
            <div className="space-y-4 md:col-span-2">
              {notice && (
                <p role="status" className="text-sm">
                  {notice}
                </p>
              )}
              {consent && (!consent.given || consent.outdated) && (
                <ConsentCard
                  api={api}
                  notice={consent.notice}
                  onGiven={() => {
                    setNotice(undefined);
                    void loadConsent();
                  }}
                />
              )}
              {consent?.given && !consent.outdated && (
                <>
                  <DatasetPanel
                    api={api}
                    baseModel={state.selection.base_model}
                    signedIn={signedIn}
                    onStartTraining={(params) => startTraining(state.selection.base_model, params)}
                  />
                  {trainNote && (
                    <p role="status" className="text-sm" data-testid="training-queued">
                      {trainNote}
                    </p>
                  )}
                  {trainError && (
                    <p role="alert" className="text-sm text-destructive">
                      Training did not start: {trainError}
                    </p>
                  )}
                  {signedIn && (
                    <TrainingPanel
                      api={api}
                      job={job}
                      baseModel={state.selection.base_model}
                      targetPlatform={state.selection.target_platform}
                      onRetry={() => startTraining(state.selection.base_model)}
                    />
                  )}
                  <div className="flex items-center gap-3 text-xs text-muted-foreground">
                    <span data-testid="consent-status">
                      Consent given{consent.version ? ` to version ${consent.version}` : ""}.
                      {signedIn &&
                        (consent.synced
                          ? " Recorded on the server too."
                          : consent.server_error
                            ? ` The server did not accept it: ${consent.server_error}`
                            : consent.queued
                              ? " Waiting to be recorded on the server: it goes as soon as the server answers."
                              : "")}
                    </span>
                    {signedIn && consent.queued && !consent.synced && (
                      <Button
                        size="sm"
                        variant="ghost"
                        onClick={() =>
                          api.sendQueued().then(
                            () => void loadConsent(),
                            (e: Error) => setNotice(`Not sent: ${e.message}`),
                          )
                        }
                      >
                        Send now
                      </Button>
                    )}
                    <WithdrawConsent
                      api={api}
                      onWithdrawn={(photos, server, loras) => {
                        setNotice(
                          `Consent withdrawn: ${photos} photos` +
                            (loras ? ` and ${loras} trained LoRA file${loras === 1 ? "" : "s"}` : "") +
                            " erased from this computer." +
                            (server === "erased"
                              ? " The server erased your uploaded photos and trained files too."
                              : server === "queued"
                                ? " The server will erase your uploaded photos and trained files as soon as it can be reached."
                                : ""),
                        );
                        setJob(null);
                        void loadConsent();
                      }}
                    />
                  </div>
                </>
              )}
              <AccountPanel
                api={api}
                onChange={(a) => {
                  setSignedIn(a.signed_in);
                  void reloadModels();
                  void loadConsent();
                }}
              />
              <CompilePanel api={api} targetPlatform={state.selection.target_platform} />
            </div>
          </div>
        )}
      </main>
    </div>
  );
}

/** ChoiceCard is one of the studio's two dropdowns, with what it is for. */
function ChoiceCard(props: {
  id: string;
  label: string;
  description: string;
  value: string;
  options: { id: string; name: string }[];
  disabled: boolean;
  onChange: (id: string) => void;
  children?: ReactNode;
}) {
  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <Label htmlFor={props.id}>{props.label}</Label>
        </CardTitle>
        <CardDescription>{props.description}</CardDescription>
      </CardHeader>
      <CardContent>
        <Select value={props.value} onValueChange={props.onChange} disabled={props.disabled}>
          <SelectTrigger id={props.id} data-testid={props.id} aria-label={props.label}>
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {props.options.map((o) => (
              <SelectItem key={o.id} value={o.id}>
                {o.name}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
        {props.children}
      </CardContent>
    </Card>
  );
}

/** ModelsSource says who decided the list of trainable base models. */
function ModelsSource({ list, selected }: { list: BaseModelList; selected: string }) {
  const when = list.checked_at ? new Date(list.checked_at).toLocaleString() : "";
  return (
    <div className="mt-2 space-y-1 text-xs text-muted-foreground" data-testid="base-model-source" data-source={list.source}>
      <p>
        {list.source === "server"
          ? "The models your server's GPU provider trains."
          : list.source === "saved"
            ? `Your server's list as of ${when}.`
            : "Every base model LoRA Studio knows: sign in to see which ones your server trains."}
        {list.note && ` ${list.note[0].toUpperCase()}${list.note.slice(1)}.`}
      </p>
      {!list.models.some((m) => m.id === selected) && (
        <p role="alert" className="text-destructive">
          Your server does not train {selected}: pick one of the models it lists.
        </p>
      )}
    </div>
  );
}
