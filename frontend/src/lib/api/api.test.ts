import { beforeEach, describe, expect, it, vi } from "vitest";

const bindings = vi.hoisted(() => ({
  AppInfo: vi.fn(),
  TargetPlatforms: vi.fn(),
  GetSelection: vi.fn(),
  SetSelection: vi.fn(),
}));
vi.mock("../../../wailsjs/go/app/App", () => bindings);
vi.mock("../../../wailsjs/runtime/runtime", () => ({ EventsOn: vi.fn(() => () => {}) }));

import { api, ApiError, toApiError } from "./index";

describe("toApiError", () => {
  it.each([
    ["unknown_platform: flux-dev is not a target platform", "unknown_platform", "flux-dev is not a target platform"],
    ["internal: internal error", "internal", "internal error"],
    ["something odd happened", "internal", "something odd happened"],
    ["json: cannot unmarshal number into string", "internal", "json: cannot unmarshal number into string"],
    ["", "internal", "unknown error"],
  ])("parses %j", (text, code, message) => {
    const e = toApiError(text);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });
});

describe("api", () => {
  beforeEach(() => vi.clearAllMocks());

  it("passes the selection to Go and returns what Go saved", async () => {
    bindings.SetSelection.mockResolvedValue({ target_platform: "grok-3", base_model: "sdxl" });
    const got = await api.setSelection({ target_platform: "grok-3", base_model: "sdxl" });
    expect(bindings.SetSelection).toHaveBeenCalledWith({ target_platform: "grok-3", base_model: "sdxl" });
    expect(got).toEqual({ target_platform: "grok-3", base_model: "sdxl" });
  });

  it("turns a Go error into an ApiError with its code", async () => {
    bindings.SetSelection.mockRejectedValue("unknown_base_model: \"sora-2\" is not a trainable base model");
    await expect(api.setSelection({ target_platform: "veo-3.1", base_model: "sora-2" })).rejects.toMatchObject({
      code: "unknown_base_model",
    });
  });

  it("refuses an answer of the wrong shape instead of passing it on", async () => {
    bindings.TargetPlatforms.mockResolvedValue([{ id: "sora-2" }]);
    await expect(api.targetPlatforms()).rejects.toMatchObject({ code: "bad_response" });
  });
});
