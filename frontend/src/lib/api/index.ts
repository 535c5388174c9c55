// The only module that talks to Go. Components and tests import this, never
// the generated wailsjs bindings, so a test mocks one module.
import { z } from "zod";
import * as App from "../../../wailsjs/go/app/App";
import { EventsOn } from "../../../wailsjs/runtime/runtime";

export const platformSchema = z.object({
  id: z.string(),
  name: z.string(),
  vendor: z.string(),
  kind: z.string(),
});
export type Platform = z.infer<typeof platformSchema>;

export const baseModelSchema = z.object({
  id: z.string(),
  name: z.string(),
  resolution: z.number(),
  default_weight: z.number(),
});
export type BaseModel = z.infer<typeof baseModelSchema>;

export const selectionSchema = z.object({
  target_platform: z.string(),
  base_model: z.string(),
});
export type Selection = z.infer<typeof selectionSchema>;

export const appInfoSchema = z.object({ version: z.string(), data_dir: z.string() });
export type AppInfo = z.infer<typeof appInfoSchema>;

/** ApiError carries the stable code Go gave the error, and its readable message. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** toApiError turns what a rejected binding gives ("code: message") into an ApiError. */
export function toApiError(err: unknown): ApiError {
  const text = typeof err === "string" ? err : err instanceof Error ? err.message : String(err);
  const m = /^([a-z][a-z0-9_]*): ([\s\S]*)$/.exec(text);
  return m ? new ApiError(m[1], m[2]) : new ApiError("internal", text || "unknown error");
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
  targetPlatforms: () => call(z.array(platformSchema), () => App.TargetPlatforms()),
  baseModels: () => call(z.array(baseModelSchema), () => App.BaseModels()),
  getSelection: () => call(selectionSchema, () => App.GetSelection()),
  setSelection: (sel: Selection) => call(selectionSchema, () => App.SetSelection(sel)),
  /** onEvent subscribes to a Go event and returns the unsubscribe function. */
  onEvent: (name: string, fn: (...data: unknown[]) => void): (() => void) => EventsOn(name, fn),
};

export type Api = typeof api;
