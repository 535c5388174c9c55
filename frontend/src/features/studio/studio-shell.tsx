import { useEffect, useRef, useState } from "react";
import { Moon, Sun } from "lucide-react";
import { useTranslation } from "react-i18next";
import type { Api } from "@/lib/api";
import { api as defaultApi, jobCreatedSchema, type ConsentStatus, type JobCreated, type TrainingParams, type Version } from "@/lib/api";
import { Button } from "@/components/ui/button";
import { LanguageSwitch } from "@/components/language-switch";
import { followOsLocale } from "@/lib/i18n";
import { ConsentCard, ConsentGiven } from "@/features/consent/consent-card";
import { CheckSection, PhotosSection, UploadSection } from "@/features/dataset/dataset-panel";
import { useDataset } from "@/features/dataset/use-dataset";
import { CompilePanel } from "@/features/compiler/compile-panel";
import { AccountPanel } from "@/features/account/account-panel";
import { TrainingPanel } from "@/features/training/training-panel";
import { AboutButton } from "@/features/about/about-dialog";
import { LaunchedAgain } from "@/features/about/launched-again";
import { UpdateBanner } from "@/features/about/update-banner";
import { ChoiceCard, ModelsSource } from "./choice-card";
import { StepNav } from "./step-nav";
import { firstOpenStep, stepIds, stepStates, type StepId } from "./steps";
import { useSelection, type SelectionState } from "./use-selection";
import { useTheme } from "./use-theme";

/**
 * StudioShell is the studio's frame: a header, the steps a person follows
 * (consent, photos, check, train, use) with where they are and what is
 * left, and one step at a time.
 */
export function StudioShell({ api = defaultApi }: { api?: Api }) {
  const { state, update, reloadModels } = useSelection(api);
  const { theme, toggle } = useTheme();
  const { t } = useTranslation("studio");
  const dataset = useDataset(api);
  const [consent, setConsent] = useState<ConsentStatus | null>();
  const [notice, setNotice] = useState<string>();
  const [signedIn, setSignedIn] = useState(false);
  const [job, setJob] = useState<JobCreated | null>(null);
  const [versions, setVersions] = useState<Version[]>([]);
  const [versionsKnown, setVersionsKnown] = useState(false);
  const [trainError, setTrainError] = useState<string>();
  const [trainNote, setTrainNote] = useState<string>();
  const [step, setStep] = useState<StepId>();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);

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
  const loadVersions = () =>
    api
      .versions()
      .then((r) => setVersions(r.versions), () => {})
      .finally(() => setVersionsKnown(true));
  // The outbox settles a queued consent later; it says so with an event.
  useEffect(
    () =>
      api.onEvent("consent:server", () => {
        void loadConsent();
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api],
  );
  // The OS locale, as Go reads it, picks the first language.
  useEffect(() => {
    api.appInfo().then((i) => followOsLocale(i.locale), () => {});
  }, [api]);
  useEffect(() => {
    api.account().then(
      (a) => {
        setSignedIn(a.signed_in);
        // Pick up the training the app followed before it was closed.
        if (a.signed_in) {
          api.lastJob().then(setJob, () => {});
          void loadVersions();
        } else setVersionsKnown(true);
      },
      () => {
        setSignedIn(false);
        setVersionsKnown(true);
      },
    );
    void loadConsent();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api]);
  // Signing in or out changes what training needs next.
  const { reload } = dataset;
  useEffect(() => {
    void reload();
  }, [signedIn, reload]);

  const consentGiven = !!consent?.given && !consent.outdated;
  const steps = stepStates({
    consentGiven,
    photos: dataset.state?.items.length ?? 0,
    minPhotos: dataset.state?.min ?? 1,
    datasetStatus: dataset.state?.status ?? "draft",
    versionsReady: versions.filter((v) => v.status === "ready").length,
  });
  const loaded = consent !== undefined && versionsKnown && (dataset.state !== null || dataset.error !== undefined);
  // Open where the work stands: the first step not done.
  useEffect(() => {
    if (loaded && step === undefined) setStep(firstOpenStep(steps));
  }, [loaded, step, steps]);

  const go = (to: StepId) => {
    moved.current = true;
    setStep(to);
  };
  // Moving to a step moves the focus to its title, so a screen reader reads where it is.
  useEffect(() => {
    if (moved.current) headingRef.current?.focus();
  }, [step]);

  return (
    <div className="min-h-screen">
      <header className="flex items-center justify-between border-b px-6 py-3">
        <div>
          <h1 className="text-lg font-semibold tracking-tight">{t("common:appName")}</h1>
          <p className="text-xs text-muted-foreground">{t("common:tagline")}</p>
        </div>
        <div className="flex items-center gap-1">
          <LanguageSwitch />
          <AboutButton api={api} />
          <Button variant="ghost" size="icon" onClick={toggle} aria-label={theme === "dark" ? t("common:theme.toLight") : t("common:theme.toDark")}>
            {theme === "dark" ? <Sun className="h-4 w-4" /> : <Moon className="h-4 w-4" />}
          </Button>
        </div>
      </header>
      <UpdateBanner api={api} />
      <LaunchedAgain api={api} />

      {state.status === "loading" || (state.status === "ready" && !step) ? (
        <p className="p-6 text-sm text-muted-foreground">{t("common:loading")}</p>
      ) : state.status === "error" ? (
        <p role="alert" className="p-6 text-sm text-destructive">
          {t("loadError", { message: state.message })}
        </p>
      ) : (
        step && (
          <div className="mx-auto flex max-w-6xl flex-col gap-6 p-6 md:flex-row">
            <aside className="space-y-4 md:w-60 md:shrink-0">
              <StepNav steps={steps} current={step} onSelect={go} />
              <ChoiceSummary state={state} />
            </aside>
            <main className="min-w-0 flex-1 space-y-4" data-testid={`step-${step}`}>
              <StepBody
                step={step}
                headingRef={headingRef}
                steps={steps}
                go={go}
              >
                {notice && (
                  <p role="status" className="text-sm">
                    {notice}
                  </p>
                )}
                {step === "consent" &&
                  (consent && consentGiven ? (
                    <ConsentGiven
                      api={api}
                      consent={consent}
                      signedIn={signedIn}
                      onChange={() => void loadConsent()}
                      onNotice={setNotice}
                      onWithdrawn={(message) => {
                        setNotice(message);
                        setJob(null);
                        setVersions([]);
                        void loadConsent();
                        void dataset.reload();
                      }}
                    />
                  ) : (
                    <ConsentCard
                      api={api}
                      notice={consent?.notice}
                      onGiven={() => {
                        setNotice(undefined);
                        void loadConsent().then(() => go("photos"));
                      }}
                    />
                  ))}
                {step === "photos" && steps[1].status !== "locked" && <PhotosSection api={api} dataset={dataset} />}
                {step === "check" && steps[2].status !== "locked" && (
                  <CheckSection api={api} dataset={dataset} baseModel={state.selection.base_model} />
                )}
                {step === "train" && (
                  <>
                    <AccountPanel
                      api={api}
                      onChange={(a) => {
                        setSignedIn(a.signed_in);
                        void reloadModels();
                        void loadConsent();
                        if (a.signed_in) void loadVersions();
                      }}
                    />
                    <ChoiceCard
                      id="base-model"
                      label={t("baseModel.label")}
                      description={t("baseModel.description")}
                      value={state.selection.base_model}
                      options={state.baseModels.models}
                      disabled={state.saving}
                      onChange={(v) => update({ base_model: v })}
                    >
                      <ModelsSource list={state.baseModels} selected={state.selection.base_model} />
                    </ChoiceCard>
                    {steps[3].status !== "locked" && (
                      <>
                        <UploadSection
                          api={api}
                          dataset={dataset}
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
                            {t("training.notStarted", { error: trainError })}
                          </p>
                        )}
                      </>
                    )}
                    {signedIn && (
                      <TrainingPanel
                        api={api}
                        job={job}
                        baseModel={state.selection.base_model}
                        baseModels={state.baseModels.models}
                        targetPlatform={state.selection.target_platform}
                        onRetry={() => startTraining(state.selection.base_model)}
                        onVersions={setVersions}
                      />
                    )}
                  </>
                )}
                {step === "use" && (
                  <>
                    <ChoiceCard
                      id="target-platform"
                      label={t("targetPlatform.label")}
                      description={t("targetPlatform.description")}
                      value={state.selection.target_platform}
                      options={state.platforms}
                      disabled={state.saving}
                      onChange={(v) => update({ target_platform: v })}
                    >
                      <p className="mt-2 text-xs text-muted-foreground">{t("targetPlatform.where")}</p>
                    </ChoiceCard>
                    <CompilePanel api={api} targetPlatform={state.selection.target_platform} />
                  </>
                )}
              </StepBody>
            </main>
          </div>
        )
      )}
    </div>
  );
}

/** StepBody frames a step: where it is in the list, its title, why it is locked, and the way on. */
function StepBody({
  step,
  steps,
  headingRef,
  go,
  children,
}: {
  step: StepId;
  steps: ReturnType<typeof stepStates>;
  headingRef: React.RefObject<HTMLHeadingElement>;
  go: (s: StepId) => void;
  children: React.ReactNode;
}) {
  const { t } = useTranslation("studio");
  const i = stepIds.indexOf(step);
  const here = steps[i];
  const prev = i > 0 ? stepIds[i - 1] : undefined;
  const next = i < stepIds.length - 1 ? steps[i + 1] : undefined;
  const nextWhy = "next-step-reason";
  return (
    <>
      <div className="space-y-1">
        <p className="text-xs font-medium uppercase tracking-wide text-muted-foreground">
          {t("stepOf", { n: i + 1, total: stepIds.length })}
        </p>
        <h2 ref={headingRef} tabIndex={-1} className="text-2xl font-semibold tracking-tight focus:outline-none" data-testid="step-title">
          {t(`steps.${step}.title`)}
        </h2>
        <p className="text-sm text-muted-foreground">{t(`steps.${step}.intro`)}</p>
      </div>
      {here.status === "locked" && (
        <div role="status" className="space-y-2 rounded-md border border-dashed p-4 text-sm" data-testid="step-locked">
          <p className="font-medium">{t("lockedTitle")}</p>
          <p>{t(here.reason, here.values ?? {})}</p>
          <Button size="sm" variant="outline" onClick={() => go(here.needs)}>
            {t("goTo", { step: t(`steps.${here.needs}.name`) })}
          </Button>
        </div>
      )}
      {children}
      <div className="flex flex-wrap items-start justify-between gap-3 border-t pt-4">
        {prev ? (
          <Button variant="outline" onClick={() => go(prev)}>
            {t("back")}
          </Button>
        ) : (
          <span />
        )}
        {next ? (
          <div className="flex flex-col items-end gap-1">
            <Button
              onClick={() => go(next.id)}
              disabled={next.status === "locked"}
              aria-describedby={next.status === "locked" ? nextWhy : undefined}
              data-testid="next-step"
            >
              {t("next", { step: t(`steps.${next.id}.name`) })}
            </Button>
            {next.status === "locked" && (
              <p id={nextWhy} className="max-w-xs text-right text-xs text-muted-foreground">
                {t("nextLocked", { reason: t(next.reason, next.values ?? {}) })}
              </p>
            )}
          </div>
        ) : (
          here.status === "done" && <p className="text-sm text-muted-foreground">{t("allDone")}</p>
        )}
      </div>
    </>
  );
}

/** ChoiceSummary keeps the two choices in sight on every step, with whether they are saved. */
function ChoiceSummary({ state }: { state: Extract<SelectionState, { status: "ready" }> }) {
  const { t } = useTranslation("studio");
  const platform = state.platforms.find((p) => p.id === state.selection.target_platform)?.name ?? state.selection.target_platform;
  const model = state.baseModels.models.find((m) => m.id === state.selection.base_model)?.name ?? state.selection.base_model;
  return (
    <section aria-label={t("summary.label")} className="rounded-md border p-3 text-xs" data-testid="selection-status" aria-live="polite">
      <dl className="grid grid-cols-[auto_1fr] gap-x-2 gap-y-1">
        <dt className="text-muted-foreground">{t("summary.train")}</dt>
        <dd>
          <strong>{model}</strong>
        </dd>
        <dt className="text-muted-foreground">{t("summary.use")}</dt>
        <dd>
          <strong>{platform}</strong>
        </dd>
      </dl>
      {state.saveError ? (
        <p role="alert" className="mt-1 text-destructive">
          {t("summary.notSaved", { error: state.saveError })}
        </p>
      ) : (
        state.saving && <p className="mt-1 text-muted-foreground">{t("summary.saving")}</p>
      )}
    </section>
  );
}
