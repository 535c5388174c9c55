import { vi } from "vitest";
import type { Api, ConsentStatus, DatasetState, Selection } from "@/lib/api";

export const platforms = [
  { id: "sora-2-pro-max", name: "Sora 2 Pro Max", vendor: "OpenAI", kind: "video" },
  { id: "veo-3.1", name: "Veo 3.1", vendor: "Google", kind: "video" },
  { id: "grok-3", name: "Grok 3", vendor: "xAI", kind: "video" },
];
export const baseModels = [
  { id: "flux-dev", name: "Flux dev", resolution: 1024, default_weight: 1 },
  { id: "sdxl", name: "SDXL", resolution: 1024, default_weight: 0.8 },
];

export function emptyDataset(over: Partial<DatasetState> = {}): DatasetState {
  return {
    dataset_id: "d1",
    status: "draft",
    items: [],
    report: null,
    min: 15,
    recommended_min: 20,
    recommended_max: 30,
    training: { allowed: false, reason: "Add at least 15 photos, then validate." },
    ...over,
  };
}

/** fakeApi is an in-memory Api for component tests; override what a test needs. */
export function fakeApi(overrides: Partial<Api> = {}): Api {
  let saved: Selection = { target_platform: "veo-3.1", base_model: "flux-dev" };
  let consent: ConsentStatus = { given: false, outdated: false, synced: false };
  return {
    appInfo: vi.fn(async () => ({ version: "test", data_dir: "/tmp" })),
    updateStatus: vi.fn(async () => ({ enabled: false, current: "test", note: "no release URL is configured" })),
    dismissUpdate: vi.fn(async () => ({ enabled: false, current: "test" })),
    openUpdatePage: vi.fn(async () => undefined),
    targetPlatforms: vi.fn(async () => platforms),
    baseModels: vi.fn(async () => ({ models: baseModels, source: "local" as const })),
    refreshBaseModels: vi.fn(async () => ({ models: baseModels, source: "local" as const })),
    getSelection: vi.fn(async () => saved),
    setSelection: vi.fn(async (s: Selection) => (saved = s)),
    consentText: vi.fn(async (lang: string) => ({
      version: lang === "pt-BR" ? "v1.pt-BR" : "v1",
      language: lang === "pt-BR" ? "pt-BR" : "en",
      languages: ["en", "pt-BR"],
      text: "# Title\n\nWhat is collected.\n\nWhy.",
      sha256: "ab",
      purpose: "p",
      attestation: "Every photo I add shows me.",
    })),
    getConsent: vi.fn(async () => consent),
    giveConsent: vi.fn(async (version: string, attest: boolean) => {
      if (!attest) throw new Error("confirm");
      return (consent = { given: true, version, outdated: false, synced: false });
    }),
    withdrawConsent: vi.fn(async () => {
      consent = { given: false, outdated: false, synced: false };
      return { photos: 0 };
    }),
    dataset: vi.fn(async () => emptyDataset()),
    importFiles: vi.fn(async () => ({ added: [], skipped: [], failed: [] })),
    pickAndImport: vi.fn(async () => ({ added: [], skipped: [], failed: [] })),
    removeItem: vi.fn(async () => undefined),
    setCaption: vi.fn(async (id: string, caption: string) => ({
      id,
      name: `${id}.jpg`,
      original_path: `/p/${id}.jpg`,
      sha256: "a",
      size: 1,
      state: "ok" as const,
      caption,
      caption_source: caption ? ("user" as const) : ("template" as const),
      caption_sent: false,
    })),
    captions: vi.fn(async () => ({ uploaded: false, suggested: 0, unsent: 0, template: "a photo of {trigger} person", ready: { allowed: true } })),
    suggestCaptions: vi.fn(),
    acceptCaptions: vi.fn(async () => ({ uploaded: true, suggested: 0, unsent: 0, template: "a photo of {trigger} person", ready: { allowed: true } })),
    validateDataset: vi.fn(),
    profiles: vi.fn(async () => [
      { id: "flux-dev", name: "Flux dev", supports_lora: true, status: "available", status_note: "", checked: "2026-11-27" },
      { id: "veo-3.1", name: "Veo 3.1", supports_lora: false, status: "deprecated", status_note: "preview ids retired", checked: "2026-11-27" },
      { id: "grok-3", name: "Grok 3", supports_lora: false, status: "available", status_note: "", checked: "2026-11-27" },
    ]),
    activeLoRA: vi.fn(async () => null),
    compile: vi.fn(async (req) => ({
      platform: req.platform,
      platform_name: req.platform,
      status: "available",
      status_note: "",
      checked: "2026-11-27",
      prompt: req.platform === "flux-dev" ? `${req.identity.trigger}, ${req.prompt.text} <lora:${req.identity.name}:0.90>` : `The person in the references. ${req.prompt.text}.`,
      prompt_chars: 10,
      prompt_max_chars: 2000,
      lora_block: req.platform === "flux-dev" ? `<lora:${req.identity.name}:0.90>` : undefined,
      warnings: [],
    })),
    account: vi.fn(async () => ({ signed_in: false, token_storage: "sqlite", token_storage_note: "no dbus" })),
    signIn: vi.fn(async (r) => ({ signed_in: true, server_url: r.server_url, email: r.email, token_storage: "sqlite" })),
    signOut: vi.fn(async () => undefined),
    syncDataset: vi.fn(),
    startTraining: vi.fn(async () => ({ job: { job_id: "j1", version_id: "v1", status: "queued" }, queued: false })),
    job: vi.fn(async () => ({ id: "j1", version_id: "v1", status: "running", progress: 0.5 })),
    jobLog: vi.fn(async () => ({ log: "", available: false })),
    cancelTraining: vi.fn(async () => ({ job: { id: "j1", version_id: "v1", status: "canceled" as const, progress: 0.5, error: "canceled by the user" }, queued: false })),
    downloadVersion: vi.fn(),
    cancelDownload: vi.fn(async () => undefined),
    installFolders: vi.fn(async () => []),
    chooseInstallFolder: vi.fn(async () => null),
    addInstallFolder: vi.fn(),
    installVersion: vi.fn(),
    checkpoints: vi.fn(async () => []),
    promoteCheckpoint: vi.fn(),
    sendQueued: vi.fn(async () => ({ sent: 1, failed: 0, waiting: 0 })),
    queuedActions: vi.fn(async () => []),
    retryAction: vi.fn(async () => undefined),
    dismissAction: vi.fn(async () => undefined),
    versions: vi.fn(async () => ({ versions: [], offline: false })),
    trainableModels: vi.fn(async () => [
      { id: "flux-dev", name: "Flux dev", preset: { rank: 16, steps: 1000, learning_rate: 0.0004, resolution: 1024, trigger_word: "ohwx", caption_template: "a photo of {trigger} person" } },
    ]),
    lastJob: vi.fn(async () => Promise.reject(new Error("no training job yet"))),
    activate: vi.fn(async () => ({ identity: { lora_version_id: "v1", weight: 1, target_platform: "veo-3.1" }, queued: false })),
    exportPack: vi.fn(async () => ({ path: "/tmp/pack.zip", sha256: "ab", references: 3 })),
    revealInFileManager: vi.fn(async () => undefined),
    onEvent: vi.fn(() => () => {}),
    ...overrides,
  } as Api;
}
