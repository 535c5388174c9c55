// The only module that talks to Go. Components and tests import this, never
// the generated wailsjs bindings, so a test mocks one module.
import { z } from "zod";
import * as App from "../../../wailsjs/go/app/App";
import * as AccountService from "../../../wailsjs/go/app/AccountService";
import * as CompileService from "../../../wailsjs/go/app/CompileService";
import * as ConsentService from "../../../wailsjs/go/app/ConsentService";
import * as DatasetService from "../../../wailsjs/go/app/DatasetService";
import * as LoRAService from "../../../wailsjs/go/app/LoRAService";
import * as OutboxService from "../../../wailsjs/go/app/OutboxService";
import * as TrainingService from "../../../wailsjs/go/app/TrainingService";
import * as UpdateService from "../../../wailsjs/go/app/UpdateService";
import { EventsOn } from "../../../wailsjs/runtime/runtime";
import {
  captionRunSchema,
  checkpointSchema,
  errorCodes,
  identitySchema,
  jobCreatedSchema,
  jobLogSchema,
  jobSchema,
  platformSchema,
  presetSchema,
  type ErrorCode,
  type Preset,
} from "./wire.gen";

// The wire's shapes, limits and codes, generated from Go (internal/wire).
export {
  captionRunSchema,
  checkpointSchema,
  errorCodes,
  identitySchema,
  jobCreatedSchema,
  jobLogSchema,
  jobSchema,
  limits,
  platformSchema,
  presetSchema,
  sampleSchema,
} from "./wire.gen";
export type { CaptionRun, Checkpoint, ErrorCode, Identity, Job, JobCreated, JobLog, Platform, Preset, Sample } from "./wire.gen";

export const baseModelSchema = z.object({
  id: z.string(),
  name: z.string(),
  resolution: z.number(),
  default_weight: z.number(),
  /** GPU memory a training run needs ("24gb"), from the model's data. */
  vram_class: z.string().optional(),
  /** What the picker says about the licence; commercial_use null: unconfirmed. */
  license: z
    .object({ name: z.string(), commercial_use: z.boolean().nullable(), note: z.string(), url: z.string() })
    .optional(),
});
export type BaseModel = z.infer<typeof baseModelSchema>;

/** What the Trainable Base Model dropdown offers, and where the list comes from. */
export const baseModelListSchema = z.object({
  models: z.array(baseModelSchema),
  /** server: the signed-in server's GPU provider; saved: its list as last seen; local: signed out. */
  source: z.enum(["server", "saved", "local"]),
  checked_at: z.string().optional(),
  note: z.string().optional(),
});
export type BaseModelList = z.infer<typeof baseModelListSchema>;

export const selectionSchema = z.object({
  target_platform: z.string(),
  base_model: z.string(),
});
export type Selection = z.infer<typeof selectionSchema>;

export const consentTextSchema = z.object({
  version: z.string(),
  // The text's language (a BCP 47 tag), the languages it exists in, and the
  // statement the user ticks, in that language.
  language: z.string(),
  languages: z.array(z.string()),
  attestation: z.string(),
  text: z.string(),
  sha256: z.string(),
  purpose: z.string(),
  // The signed-in server's terms: who processes the photos there, and for
  // how many days from the consent they are kept.
  processors: z.array(z.string()).nullish(),
  retention_days: z.number().optional(),
});
export type ConsentText = z.infer<typeof consentTextSchema>;

export const consentStatusSchema = z.object({
  given: z.boolean(),
  version: z.string().optional(),
  language: z.string().optional(),
  given_at: z.string().optional(),
  outdated: z.boolean(),
  synced: z.boolean(),
  queued: z.boolean().optional(),
  server_error: z.string().optional(),
  retention_days: z.number().optional(),
  // Why consent must be given again (the server's retention period ended, or its processors changed).
  notice: z.string().optional(),
});
export type ConsentStatus = z.infer<typeof consentStatusSchema>;

const issueSchema = z.object({ code: z.string(), severity: z.string(), message: z.string() });
const findingSchema = z.object({ code: z.string(), message: z.string(), files: z.array(z.string()).nullish() });
export type Finding = z.infer<typeof findingSchema>;

/** A rectangle in a photo's pixels, after its EXIF orientation. */
const boxSchema = z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() });
export type Box = z.infer<typeof boxSchema>;

/**
 * Who the photos show: the set's main person and the photos of anyone else.
 * Reports saved before the engine compared faces have none, hence optional.
 */
const identitySetSchema = z.object({
  compared: z.number(),
  reference: z.string(),
  reference_box: boxSchema.nullish(),
  clear: z.boolean(),
  members: z.number(),
  others: z.array(z.string()).nullish(),
});
export type IdentitySet = z.infer<typeof identitySetSchema>;

export const reportSchema = z.object({
  ok: z.boolean(),
  image_count: z.number(),
  dataset_hash: z.string(),
  errors: z.array(findingSchema).nullish(),
  warnings: z.array(findingSchema).nullish(),
  items: z.array(
    z.object({
      file: z.string(),
      sha256: z.string(),
      width: z.number(),
      height: z.number(),
      faces: z.number(),
      face_box: boxSchema.nullish(),
      pose: z.string().optional(),
      pitch: z.number().optional(),
      roll: z.number().optional(),
      identity_distance: z.number().optional(),
      issues: z.array(issueSchema).nullish(),
    }),
  ),
  variety: z.object({ poses: z.record(z.number()).nullish(), unknown_pose: z.number().optional() }).passthrough(),
  identity: identitySetSchema.optional(),
});
export type Report = z.infer<typeof reportSchema>;

export const datasetItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  original_path: z.string(),
  sha256: z.string(),
  size: z.number(),
  state: z.enum(["imported", "checking", "ok", "warning", "error"]),
  thumb_url: z.string(),
  /** Names the person as {trigger}; "" for the caption template. */
  caption: z.string().optional(),
  /** template, user, or auto: the worker's captioner's suggestion, not yet reviewed. */
  caption_source: z.enum(["template", "user", "auto"]).optional(),
  /** false while an edit made after the upload has not reached the server. */
  caption_sent: z.boolean().optional(),
});
export type DatasetItem = z.infer<typeof datasetItemSchema>;

/** A photo as SetCaption returns it (no thumbnail). */
export const captionedItemSchema = datasetItemSchema.omit({ thumb_url: true });
export type CaptionedItem = z.infer<typeof captionedItemSchema>;

export const datasetStateSchema = z.object({
  dataset_id: z.string(),
  status: z.string(),
  items: z.array(datasetItemSchema),
  report: reportSchema.nullable(),
  min: z.number(),
  recommended_min: z.number(),
  recommended_max: z.number(),
  training: z.object({ allowed: z.boolean(), reason: z.string().optional() }),
  /** The caption of a photo without one of its own ("a photo of {trigger} person"). */
  caption_template: z.string().optional(),
});
export type DatasetState = z.infer<typeof datasetStateSchema>;

/** The captions' review: the captioner's last run, what waits for review or for the server, and whether training may start. */
export const captionStateSchema = z.object({
  run: captionRunSchema.nullish(),
  uploaded: z.boolean(),
  suggested: z.number(),
  unsent: z.number(),
  template: z.string(),
  ready: z.object({ allowed: z.boolean(), reason: z.string().optional() }),
});
export type CaptionState = z.infer<typeof captionStateSchema>;

export const importResultSchema = z.object({
  added: z.array(z.string()),
  skipped: z.array(z.string()),
  failed: z.array(z.object({ file: z.string(), reason: z.string() })),
});
export type ImportResult = z.infer<typeof importResultSchema>;

/** Progress of a long Go task, as its events report it. */
export const progressSchema = z.object({
  done: z.number(),
  total: z.number(),
  file: z.string().optional(),
  error: z.string().optional(),
});
export type Progress = z.infer<typeof progressSchema>;

export /** The active version's LoRA when its file is on this computer: the compile screen fills in from it. */
const activeLoRASchema = z.object({
  version_id: z.string(),
  base_model: z.string(),
  name: z.string(),
  trigger: z.string(),
  weight: z.number(),
});
export type ActiveLoRA = z.infer<typeof activeLoRASchema>;

const profileSchema = z.object({
  id: z.string(),
  name: z.string(),
  supports_lora: z.boolean(),
  status: z.string(),
  status_note: z.string(),
  checked: z.string(),
});
export type Profile = z.infer<typeof profileSchema>;

export type CompileRequest = {
  platform: string;
  prompt: { text: string; negative?: string };
  identity: { name?: string; trigger?: string; weight?: number; describe?: string; cameo?: string };
  options: { references: number };
};

export const compileResultSchema = z
  .object({
    platform: z.string(),
    platform_name: z.string(),
    status: z.string(),
    status_note: z.string(),
    checked: z.string(),
    prompt: z.string(),
    prompt_chars: z.number(),
    prompt_max_chars: z.number(),
    lora_block: z.string().optional(),
    warnings: z.array(z.string()).nullish(),
  })
  .passthrough();
export type CompileResult = z.infer<typeof compileResultSchema>;

export const accountSchema = z.object({
  signed_in: z.boolean(),
  server_url: z.string().optional(),
  email: z.string().optional(),
  token_storage: z.string(),
  token_storage_note: z.string().optional(),
  expired: z.boolean().optional(),
});
export type Account = z.infer<typeof accountSchema>;

export const queuedActionSchema = z.object({
  id: z.number(),
  kind: z.string(),
  what: z.string(),
  status: z.enum(["pending", "failed"]),
  attempts: z.number(),
  next_attempt_at: z.string(),
  error: z.string().optional(),
  created_at: z.string(),
});
export type QueuedAction = z.infer<typeof queuedActionSchema>;

export const syncResultSchema = z
  .object({
    session: z.string(),
    dataset_id: z.string(),
    state: z.string(),
    validation: z.object({ status: z.string() }).passthrough().nullish(),
    total: z.object({ bytes_total: z.number(), bytes_sent: z.number(), bytes_resent: z.number() }).passthrough(),
  })
  .passthrough();
export type SyncResult = z.infer<typeof syncResultSchema>;

export const syncProgressSchema = z.object({ file: z.string(), done: z.number(), total: z.number() }).passthrough();

/** A version's LoRA file on this computer, checked against the server's sha256. */
export const localLoRASchema = z.object({
  version_id: z.string(),
  filename: z.string(),
  path: z.string(),
  size: z.number(),
  sha256: z.string(),
  downloaded_at: z.string(),
});
export type LocalLoRA = z.infer<typeof localLoRASchema>;

/** One step of a download, from the "download:progress" event. */
export const downloadProgressSchema = z.object({
  version_id: z.string(),
  done: z.number(),
  total: z.number(),
  message: z.string().optional(),
});
export type DownloadProgress = z.infer<typeof downloadProgressSchema>;

export const installFolderSchema = z.object({ app: z.string(), path: z.string(), note: z.string().optional() });
export type InstallFolder = z.infer<typeof installFolderSchema>;

export const installedSchema = z.object({
  path: z.string(),
  already: z.boolean(),
  app: z.string(),
  note: z.string().optional(),
  lora_name: z.string(),
  workflow_file: z.string().optional(),
});
export type Installed = z.infer<typeof installedSchema>;

export const versionSchema = z.object({
  id: z.string(),
  number: z.number(),
  base_model: z.string(),
  dataset_hash: z.string(),
  status: z.string(),
  created_at: z.string(),
  active: z.boolean(),
  weight: z.number().optional(),
  download: localLoRASchema.optional(),
});
export type Version = z.infer<typeof versionSchema>;

export const exportedSchema = z.object({
  path: z.string(),
  sha256: z.string().optional(),
  references: z.number(),
  platform_name: z.string().optional(),
});
export type Exported = z.infer<typeof exportedSchema>;


export type TrainingParams = Partial<Preset>;

export const appInfoSchema = z.object({ version: z.string(), data_dir: z.string(), locale: z.string().optional() });
export type AppInfo = z.infer<typeof appInfoSchema>;

/** A release newer than this app, from a manifest whose signature Go verified. */
export const releaseSchema = z.object({
  version: z.string(),
  url: z.string(),
  notes: z.string().optional(),
  published: z.string().optional(),
});
export type Release = z.infer<typeof releaseSchema>;

/** What the daily update check found; enabled is false when there is no check (note says why). */
export const updateStatusSchema = z.object({
  enabled: z.boolean(),
  current: z.string(),
  url: z.string().optional(),
  checked_at: z.string().optional(),
  available: releaseSchema.optional(),
  note: z.string().optional(),
});
export type UpdateStatus = z.infer<typeof updateStatusSchema>;

/** The codes an ApiError carries: Go's closed set, and the frontend's own bad_response. */
export type ApiErrorCode = ErrorCode | "bad_response";

/** ApiError carries the stable code Go gave the error, and its readable message. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const knownCodes: ReadonlySet<string> = new Set(errorCodes);

/**
 * toApiError turns what a rejected binding gives ("code: message") into an
 * ApiError. A prefix that is not one of Go's codes (a Wails decode error's
 * "json: ...") is no code: the whole text is an internal error's message.
 */
export function toApiError(err: unknown): ApiError {
  const text = typeof err === "string" ? err : err instanceof Error ? err.message : String(err);
  const m = /^([a-z][a-z0-9_]*): ([\s\S]*)$/.exec(text);
  return m && knownCodes.has(m[1]) ? new ApiError(m[1] as ErrorCode, m[2]) : new ApiError("internal", text || "unknown error");
}

async function call<T>(schema: z.ZodType<T>, p: () => Promise<unknown>): Promise<T> {
  let raw: unknown;
  try {
    raw = await p();
  } catch (err) {
    throw toApiError(err);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError("bad_response", `the app's Go side answered in an unexpected shape: ${parsed.error.message}`);
  }
  return parsed.data;
}

export const api = {
  appInfo: () => call(appInfoSchema, () => App.AppInfo()),
  updateStatus: () => call(updateStatusSchema, () => UpdateService.UpdateStatus()),
  dismissUpdate: (version: string) => call(updateStatusSchema, () => UpdateService.DismissUpdate(version)),
  /** openUpdatePage opens the offered release's download page, the one Go verified, in the browser. */
  openUpdatePage: () => call(z.undefined().or(z.null()), () => UpdateService.OpenUpdatePage()),
  targetPlatforms: () => call(z.array(platformSchema), () => App.TargetPlatforms()),
  baseModels: () => call(baseModelListSchema, () => TrainingService.BaseModels()),
  refreshBaseModels: () => call(baseModelListSchema, () => TrainingService.RefreshBaseModels()),
  getSelection: () => call(selectionSchema, () => App.GetSelection()),
  setSelection: (sel: Selection) => call(selectionSchema, () => App.SetSelection(sel)),
  consentText: (lang: string) => call(consentTextSchema, () => ConsentService.ConsentText(lang)),
  getConsent: () => call(consentStatusSchema, () => ConsentService.GetConsent()),
  // version is the text the user read (ConsentText.version, in its language).
  giveConsent: (version: string, attestSelf: boolean) =>
    call(consentStatusSchema, () => ConsentService.GiveConsent(version, attestSelf)),
  withdrawConsent: () =>
    call(z.object({ photos: z.number(), loras: z.number().optional(), server: z.string().optional() }), () => ConsentService.WithdrawConsent()),
  dataset: () => call(datasetStateSchema, () => DatasetService.Dataset()),
  importFiles: (paths: string[]) => call(importResultSchema, () => DatasetService.ImportFiles(paths)),
  pickAndImport: () => call(importResultSchema, () => DatasetService.PickAndImport()),
  removeItem: (id: string) => call(z.undefined().or(z.null()), () => DatasetService.RemoveItem(id)),
  /** setCaption saves a photo's caption here first, then on the server once the photos are there. */
  setCaption: (id: string, caption: string) => call(captionedItemSchema, () => DatasetService.SetCaption(id, caption)),
  captions: () => call(captionStateSchema, () => DatasetService.Captions()),
  /** suggestCaptions runs the worker's captioner and resolves when its suggestions are here ("dataset:captions" events meanwhile). */
  suggestCaptions: (overwrite: boolean) => call(captionStateSchema, () => DatasetService.SuggestCaptions(overwrite)),
  /** acceptCaptions is "Use these captions": the suggestions become the user's and every edit goes to the server. */
  acceptCaptions: () => call(captionStateSchema, () => DatasetService.UseCaptions()),
  validateDataset: (opts: { base_model: string; min_resolution: number }) =>
    call(reportSchema, () => DatasetService.ValidateDataset(opts)),
  profiles: () => call(z.array(profileSchema), () => CompileService.Profiles()),
  compile: (req: CompileRequest) => call(compileResultSchema, () => CompileService.Compile(req as never)),
  activeLoRA: () => call(activeLoRASchema.nullable(), () => CompileService.ActiveLoRA()),
  account: () => call(accountSchema, () => AccountService.Account()),
  signIn: (req: { server_url: string; email: string; password: string; create: boolean }) =>
    call(accountSchema, () => AccountService.SignIn(req)),
  signOut: () => call(z.undefined().or(z.null()), () => AccountService.SignOut()),
  syncDataset: (opts: { base_model: string; min_resolution: number }) => call(syncResultSchema, () => DatasetService.SyncDataset(opts)),
  trainableModels: () =>
    call(z.array(z.object({ id: z.string(), name: z.string(), preset: presetSchema })), () => TrainingService.TrainableModels()),
  startTraining: (req: { base_model: string; params?: TrainingParams }) =>
    call(
      z.object({ job: jobCreatedSchema.nullish(), queued: z.boolean(), message: z.string().optional() }),
      () => TrainingService.StartTraining(req as never),
    ),
  job: (id: string) => call(jobSchema, () => TrainingService.Job(id)),
  jobLog: (id: string) => call(jobLogSchema, () => TrainingService.JobLog(id)),
  cancelTraining: (jobID: string) =>
    call(z.object({ job: jobSchema.nullish(), queued: z.boolean() }), () => TrainingService.CancelTraining(jobID)),
  queuedActions: () => call(z.array(queuedActionSchema), () => OutboxService.QueuedActions()),
  retryAction: (id: number) => call(z.undefined().or(z.null()), () => OutboxService.RetryAction(id)),
  dismissAction: (id: number) => call(z.undefined().or(z.null()), () => OutboxService.DismissAction(id)),
  sendQueued: () =>
    call(z.object({ sent: z.number(), failed: z.number(), waiting: z.number() }), () => OutboxService.SendQueued()),
  versions: () => call(z.object({ versions: z.array(versionSchema), offline: z.boolean() }), () => TrainingService.Versions()),
  downloadVersion: (versionID: string) => call(localLoRASchema, () => LoRAService.DownloadVersion(versionID)),
  cancelDownload: (versionID: string) => call(z.undefined().or(z.null()), () => LoRAService.CancelDownload(versionID)),
  installFolders: () => call(z.array(installFolderSchema), () => LoRAService.InstallFolders()),
  /** chooseInstallFolder opens the native folder dialog; null means the user canceled. */
  chooseInstallFolder: () => call(installFolderSchema.nullable(), () => LoRAService.ChooseInstallFolder()),
  addInstallFolder: (path: string) => call(installFolderSchema, () => LoRAService.AddInstallFolder(path)),
  installVersion: (req: { version_id: string; folder: string; replace: boolean }) =>
    call(installedSchema, () => LoRAService.InstallVersion(req)),
  checkpoints: (jobID: string) => call(z.array(checkpointSchema), () => LoRAService.Checkpoints(jobID)),
  promoteCheckpoint: (jobID: string, step: number) =>
    call(z.object({ id: z.string(), number: z.number(), status: z.string() }).passthrough(), () => LoRAService.PromoteCheckpoint(jobID, step)),
  lastJob: () => call(jobCreatedSchema, () => TrainingService.LastJob()),
  activate: (versionID: string, weight: number, targetPlatform: string) =>
    call(z.object({ identity: identitySchema.nullish(), queued: z.boolean() }), () =>
      TrainingService.Activate(versionID, weight, targetPlatform),
    ),
  exportPack: (req: CompileRequest) => call(exportedSchema, () => CompileService.ExportPack(req as never)),
  revealInFileManager: (path: string) => call(z.undefined().or(z.null()), () => CompileService.RevealInFileManager(path)),
  /** onEvent subscribes to a Go event and returns the unsubscribe function. */
  onEvent: (name: string, fn: (...data: unknown[]) => void): (() => void) => EventsOn(name, fn),
};

export type Api = typeof api;
