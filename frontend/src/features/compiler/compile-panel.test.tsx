import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { fakeApi } from "@/test/fake-api";
import { ApiError } from "@/lib/api";
import { CompilePanel } from "./compile-panel";

describe("CompilePanel", () => {
  it("previews a LoRA block for a pipeline and none for a target platform", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    render(<CompilePanel api={api} targetPlatform="flux-dev" />);
    await waitFor(() => expect(screen.getByTestId("compiled-prompt")).toHaveTextContent("<lora:me:0.90>"));
    expect(screen.getByText(/LoRA block <lora:me:0.90>/)).toBeInTheDocument();

    await user.click(screen.getByRole("combobox", { name: "Compile for" }));
    await user.click(await screen.findByRole("option", { name: "Veo 3.1" }));
    await waitFor(() => expect(screen.getByTestId("compiled-prompt")).not.toHaveTextContent("<lora:"));
    expect(screen.getByText(/no LoRA block: this platform cannot load one/)).toBeInTheDocument();
    expect(screen.getByTestId("profile-status")).toHaveTextContent("deprecated (checked 2026-11-27): preview ids retired");
    expect(screen.queryByLabelText("Trigger phrase")).not.toBeInTheDocument();
    const last = vi.mocked(api.compile).mock.calls.at(-1)![0];
    expect(last.platform).toBe("veo-3.1");
  });

  it("fills in the active version's file name and trigger phrase", async () => {
    const api = fakeApi({
      activeLoRA: vi.fn(async () => ({ version_id: "v3", base_model: "flux-dev", name: "alice-v3-flux-dev", trigger: "alicex person", weight: 0.8 })),
    });
    render(<CompilePanel api={api} targetPlatform="flux-dev" />);
    await waitFor(() => expect(screen.getByTestId("compiled-prompt")).toHaveTextContent("alicex person, "));
    const last = vi.mocked(api.compile).mock.calls.at(-1)![0];
    expect(last.identity).toMatchObject({ name: "alice-v3-flux-dev", trigger: "alicex person", weight: 0.8 });
    expect(screen.getByLabelText("LoRA name")).toHaveValue("alice-v3-flux-dev");
    expect(screen.getByLabelText("Trigger phrase")).toHaveValue("alicex person");
    expect(screen.getByTestId("compile-filled")).toHaveTextContent("alice-v3-flux-dev.safetensors");
  });

  it("says why a prompt cannot be compiled", async () => {
    const api = fakeApi({ compile: vi.fn(async () => Promise.reject(new ApiError("prompt_too_long", "the prompt is 5000 characters; Grok takes 4096"))) });
    render(<CompilePanel api={api} targetPlatform="grok-3" />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Grok takes 4096");
  });

  it("exports a Character Pack for a target platform and reveals it", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    render(<CompilePanel api={api} targetPlatform="veo-3.1" />);
    await user.click(await screen.findByRole("button", { name: "Export Character Pack…" }));
    expect(await screen.findByTestId("exported")).toHaveTextContent("Saved /tmp/pack.zip (3 reference photos)");
    expect(vi.mocked(api.exportPack).mock.calls[0][0].platform).toBe("veo-3.1");
    await user.click(screen.getByRole("button", { name: "Show in folder" }));
    expect(api.revealInFileManager).toHaveBeenCalledWith("/tmp/pack.zip");
  });

  it("offers no pack for a pipeline that loads the LoRA", async () => {
    render(<CompilePanel api={fakeApi()} targetPlatform="flux-dev" />);
    await screen.findByTestId("compiled-prompt");
    expect(screen.queryByRole("button", { name: "Export Character Pack…" })).not.toBeInTheDocument();
  });
});
