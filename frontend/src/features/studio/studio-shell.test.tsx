import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Api, Selection } from "@/lib/api";
import { ApiError } from "@/lib/api";
import { StudioShell } from "./studio-shell";

const platforms = [
  { id: "sora-2-pro-max", name: "Sora 2 Pro Max", vendor: "OpenAI", kind: "video" },
  { id: "veo-3.1", name: "Veo 3.1", vendor: "Google", kind: "video" },
  { id: "grok-3", name: "Grok 3", vendor: "xAI", kind: "video" },
];
const baseModels = [
  { id: "flux-dev", name: "Flux dev", resolution: 1024, default_weight: 1 },
  { id: "sdxl", name: "SDXL", resolution: 1024, default_weight: 0.8 },
];

function fakeApi(overrides: Partial<Api> = {}): Api {
  let saved: Selection = { target_platform: "veo-3.1", base_model: "flux-dev" };
  return {
    appInfo: vi.fn(async () => ({ version: "test", data_dir: "/tmp" })),
    targetPlatforms: vi.fn(async () => platforms),
    baseModels: vi.fn(async () => baseModels),
    getSelection: vi.fn(async () => saved),
    setSelection: vi.fn(async (s: Selection) => (saved = s)),
    onEvent: vi.fn(() => () => {}),
    ...overrides,
  };
}

describe("StudioShell", () => {
  it("shows the saved choices under their honest labels", async () => {
    render(<StudioShell api={fakeApi()} />);
    const platform = await screen.findByRole("combobox", { name: "Target Platform" });
    expect(platform).toHaveTextContent("Veo 3.1");
    expect(screen.getByRole("combobox", { name: "Trainable Base Model" })).toHaveTextContent("Flux dev");
    expect(screen.getByText(/cannot load a LoRA/)).toBeInTheDocument();
  });

  it("never lists a target platform among the trainable models", async () => {
    const user = userEvent.setup();
    render(<StudioShell api={fakeApi()} />);
    await user.click(await screen.findByRole("combobox", { name: "Trainable Base Model" }));
    const options = (await screen.findAllByRole("option")).map((o) => o.textContent);
    expect(options).toEqual(["Flux dev", "SDXL"]);
  });

  it("saves a new target platform through Go", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    render(<StudioShell api={api} />);
    await user.click(await screen.findByRole("combobox", { name: "Target Platform" }));
    await user.click(await screen.findByRole("option", { name: "Grok 3" }));
    await waitFor(() =>
      expect(api.setSelection).toHaveBeenCalledWith({ target_platform: "grok-3", base_model: "flux-dev" }),
    );
    const status = screen.getByTestId("selection-status");
    await waitFor(() => expect(within(status).getByText("Grok 3")).toBeInTheDocument());
  });

  it("says why a save failed and keeps the old choice", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      setSelection: vi.fn(async () => {
        throw new ApiError("internal", "disk full");
      }),
    });
    render(<StudioShell api={api} />);
    await user.click(await screen.findByRole("combobox", { name: "Target Platform" }));
    await user.click(await screen.findByRole("option", { name: "Grok 3" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Not saved: disk full");
    expect(screen.getByRole("combobox", { name: "Target Platform" })).toHaveTextContent("Veo 3.1");
  });

  it("explains a load failure instead of showing an empty screen", async () => {
    render(<StudioShell api={fakeApi({ getSelection: vi.fn(async () => Promise.reject(new Error("db locked"))) })} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("db locked");
  });
});
