import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "@/lib/api";
import { StudioShell } from "./studio-shell";
import { fakeApi } from "@/test/fake-api";


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
