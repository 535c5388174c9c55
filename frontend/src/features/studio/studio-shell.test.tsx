import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, type BaseModelList } from "@/lib/api";
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

  it("says who decided the trainable list, and reloads it at sign-in", async () => {
    const user = userEvent.setup();
    let signedIn = false;
    const api = fakeApi({
      account: vi.fn(async () => ({ signed_in: signedIn, token_storage: "sqlite" })),
      signIn: vi.fn(async (r) => {
        signedIn = true;
        return { signed_in: true, server_url: r.server_url, email: r.email, token_storage: "sqlite" };
      }),
      refreshBaseModels: vi.fn(async () =>
        signedIn
          ? { models: [{ id: "sdxl", name: "SDXL", resolution: 1024, default_weight: 0.8 }], source: "server" as const }
          : { models: [{ id: "flux-dev", name: "Flux dev", resolution: 1024, default_weight: 1 }], source: "local" as const },
      ),
    });
    render(<StudioShell api={api} />);
    const source = await screen.findByTestId("base-model-source");
    expect(source).toHaveTextContent("sign in to see which ones your server trains");
    await user.type(screen.getByLabelText("Email"), "me@example.com");
    await user.type(screen.getByLabelText("Password"), "a long passphrase");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(source).toHaveAttribute("data-source", "server"));
    expect(source).toHaveTextContent("The models your server's GPU provider trains.");
    // The saved Flux dev is not among them: say so rather than show an empty box.
    expect(within(source).getByRole("alert")).toHaveTextContent("Your server does not train flux-dev");
    await user.click(screen.getByRole("combobox", { name: "Trainable Base Model" }));
    expect((await screen.findAllByRole("option")).map((o) => o.textContent)).toEqual(["SDXL"]);
  });

  it("shows the saved list at once, then the server's answer", async () => {
    let answer: (l: BaseModelList) => void = () => {};
    const api = fakeApi({
      baseModels: vi.fn(async () => ({
        models: [{ id: "flux-dev", name: "Flux dev", resolution: 1024, default_weight: 1 }],
        source: "saved" as const,
        checked_at: "2026-11-26T10:00:00Z",
      })),
      refreshBaseModels: vi.fn(() => new Promise<BaseModelList>((r) => (answer = r))),
    });
    render(<StudioShell api={api} />);
    const source = await screen.findByTestId("base-model-source");
    expect(source).toHaveAttribute("data-source", "saved"); // the server has not answered yet
    answer({ models: [{ id: "flux-dev", name: "Flux dev", resolution: 1024, default_weight: 1 }], source: "server" });
    await waitFor(() => expect(source).toHaveAttribute("data-source", "server"));
  });

  it("says when the server's list is an old one, and why", async () => {
    const api = fakeApi({
      refreshBaseModels: vi.fn(async () => ({
        models: [{ id: "flux-dev", name: "Flux dev", resolution: 1024, default_weight: 1 }],
        source: "saved" as const,
        checked_at: "2026-11-26T10:00:00Z",
        note: "the server did not answer (connection refused); this is its list as last seen",
      })),
    });
    render(<StudioShell api={api} />);
    const source = await screen.findByTestId("base-model-source");
    expect(source).toHaveTextContent(/Your server's list as of .*2026.* The server did not answer \(connection refused\)/);
    expect(within(source).queryByRole("alert")).toBeNull();
  });

  it("says the chosen model's GPU class and licence where it is picked", async () => {
    const nc = "Non-commercial: the FLUX.2 [dev] weights, and a LoRA trained on them, may not be used commercially.";
    const api = fakeApi({
      getSelection: vi.fn(async () => ({ target_platform: "veo-3.1", base_model: "flux-2-dev" })),
      refreshBaseModels: vi.fn(async () => ({
        models: [
          {
            id: "flux-2-dev",
            name: "FLUX.2 dev",
            resolution: 1024,
            default_weight: 1,
            vram_class: "24gb",
            license: { name: "FLUX Non-Commercial License v2.1", commercial_use: false, note: nc, url: "https://x" },
          },
        ],
        source: "local" as const,
      })),
    });
    render(<StudioShell api={api} />);
    const facts = await screen.findByTestId("base-model-facts");
    expect(facts).toHaveTextContent("24GB GPU.");
    expect(facts).toHaveTextContent(nc);
  });

  it("shows whether the consent reached the server, and follows the outbox", async () => {
    let consent = { given: true, version: "v1", outdated: false, synced: false, queued: true };
    let onServer: () => void = () => {};
    const api = fakeApi({
      account: vi.fn(async () => ({ signed_in: true, server_url: "http://s", email: "a@b.c", token_storage: "sqlite" })),
      getConsent: vi.fn(async () => consent),
      onEvent: vi.fn((name: string, fn: () => void) => {
        if (name === "consent:server") onServer = fn;
        return () => {};
      }),
    });
    render(<StudioShell api={api} />);
    const status = await screen.findByTestId("consent-status");
    await waitFor(() => expect(status).toHaveTextContent("Waiting to be recorded on the server"));
    await userEvent.setup().click(screen.getByRole("button", { name: "Send now" }));
    expect(api.sendQueued).toHaveBeenCalled();
    consent = { ...consent, synced: true, queued: false };
    onServer();
    await waitFor(() => expect(status).toHaveTextContent("Recorded on the server too."));
    expect(screen.queryByRole("button", { name: "Send now" })).toBeNull();
  });

  it("explains a load failure instead of showing an empty screen", async () => {
    render(<StudioShell api={fakeApi({ getSelection: vi.fn(async () => Promise.reject(new Error("db locked"))) })} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("db locked");
  });
});
