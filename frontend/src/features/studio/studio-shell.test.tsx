import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, type BaseModelList } from "@/lib/api";
import { StudioShell } from "./studio-shell";
import { emptyDataset, fakeApi } from "@/test/fake-api";
import { setLanguage } from "@/lib/i18n";

/** openStep opens a step from the steps' list, as a person would. */
async function openStep(user: UserEvent, name: RegExp) {
  // The studio opens once Go has answered for consent, photos and versions: on a busy machine that takes a while.
  const nav = await screen.findByRole("navigation", { name: "Steps" }, { timeout: 5000 });
  await user.click(within(nav).getByRole("button", { name }));
}


describe("StudioShell", () => {
  it("shows the saved choices under their honest labels", async () => {
    const user = userEvent.setup();
    render(<StudioShell api={fakeApi()} />);
    await openStep(user, /Use/);
    const platform = await screen.findByRole("combobox", { name: "Target Platform" });
    expect(platform).toHaveTextContent("Veo 3.1");
    expect(platform).toHaveAccessibleDescription(/cannot load a LoRA/);
    await openStep(user, /Train/);
    const model = screen.getByRole("combobox", { name: "Trainable Base Model" });
    expect(model).toHaveTextContent("Flux dev");
    expect(model).toHaveAccessibleDescription(/The model your LoRA is trained on/);
  });

  it("never lists a target platform among the trainable models", async () => {
    const user = userEvent.setup();
    render(<StudioShell api={fakeApi()} />);
    await openStep(user, /Train/);
    await user.click(await screen.findByRole("combobox", { name: "Trainable Base Model" }));
    const options = (await screen.findAllByRole("option")).map((o) => o.textContent);
    expect(options).toEqual(["Flux dev", "SDXL"]);
  });

  it("saves a new target platform through Go", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    render(<StudioShell api={api} />);
    await openStep(user, /Use/);
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
    await openStep(user, /Use/);
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
    await openStep(user, /Train/);
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
    await openStep(userEvent.setup(), /Train/);
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
    await openStep(userEvent.setup(), /Train/);
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
    await openStep(userEvent.setup(), /Train/);
    const facts = await screen.findByTestId("base-model-facts");
    expect(facts).toHaveTextContent("24 GB GPU.");
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
    // Consent is given: the studio opens on the next step, Photos.
    expect(await screen.findByRole("button", { current: "step" })).toHaveTextContent(/Photos/);
    await openStep(userEvent.setup(), /Consent/);
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

describe("StudioShell steps", () => {
  it("opens a newcomer on consent, and says in words what is locked and why", async () => {
    render(<StudioShell api={fakeApi()} />);
    const nav = await screen.findByRole("navigation", { name: "Steps" });
    const here = within(nav).getByRole("button", { current: "step" });
    expect(here).toHaveTextContent("Consent");
    expect(here).toHaveTextContent("You are here");
    expect(screen.getByRole("heading", { level: 2 })).toHaveTextContent("Your consent");
    expect(screen.getByText("Step 1 of 5")).toBeInTheDocument();
    const photos = within(nav).getByRole("button", { name: /Photos/ });
    expect(photos).toHaveTextContent("Locked");
    expect(photos).toHaveTextContent("Give your consent first");
    // The way on is there, disabled, with its reason as visible text tied to it.
    const next = screen.getByRole("button", { name: "Next: Photos" });
    expect(next).toBeDisabled();
    expect(next).toHaveAccessibleDescription(/The next step is locked: Give your consent first/);
  });

  it("moves to Photos once consent is given, with the focus on the step's title", async () => {
    const user = userEvent.setup();
    render(<StudioShell api={fakeApi()} />);
    await user.click(await screen.findByRole("checkbox", { name: /Every photo I add shows me/ }));
    await user.click(screen.getByRole("button", { name: "I consent" }));
    const title = await screen.findByRole("heading", { level: 2, name: "Add your photos" });
    await waitFor(() => expect(title).toHaveFocus());
    const nav = screen.getByRole("navigation", { name: "Steps" });
    expect(within(nav).getByRole("button", { name: /Consent/ })).toHaveTextContent("Done");
    expect(within(nav).getByRole("button", { current: "step" })).toHaveTextContent("Photos");
    expect(within(nav).getByRole("button", { name: /Check/ })).toHaveTextContent("Add at least 15 photos first: you have 0.");
  });

  it("is walked with the keyboard alone: Tab to the list, arrows between steps, Enter to open", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      getConsent: vi.fn(async () => ({ given: true, version: "v1", outdated: false, synced: false })),
      dataset: vi.fn(async () => emptyDataset({ status: "validated", items: [] })),
    });
    render(<StudioShell api={api} />);
    const nav = await screen.findByRole("navigation", { name: "Steps" });
    const consent = within(nav).getByRole("button", { name: /Consent/ });
    // Tab from the top reaches the first step after the header's controls.
    for (let i = 0; i < 10 && document.activeElement !== consent; i++) await user.tab();
    expect(consent).toHaveFocus();
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(within(nav).getByRole("button", { name: /Check/ })).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(within(nav).getByRole("button", { current: "step" })).toHaveTextContent("Check");
    expect(await screen.findByTestId("step-locked")).toHaveTextContent("Add at least 15 photos first: you have 0.");
    await user.click(screen.getByRole("button", { name: "Go to Photos" }));
    expect(within(nav).getByRole("button", { current: "step" })).toHaveTextContent("Photos");
    await user.keyboard("{End}");
    await user.click(screen.getByRole("button", { name: "Back" }));
    expect(within(nav).getByRole("button", { current: "step" })).toHaveTextContent("Consent");
  });

  it("speaks Brazilian Portuguese, and switches back to English from the header", async () => {
    const user = userEvent.setup();
    await setLanguage("pt-BR");
    render(<StudioShell api={fakeApi()} />);
    expect(await screen.findByRole("heading", { level: 2 })).toHaveTextContent("Seu consentimento");
    const nav = screen.getByRole("navigation", { name: "Etapas" });
    expect(within(nav).getByRole("button", { name: /Fotos/ })).toHaveTextContent("Bloqueada");
    expect(screen.getByRole("button", { name: "Eu consinto" })).toBeDisabled();
    await user.click(screen.getByRole("combobox", { name: "Idioma" }));
    await user.click(await screen.findByRole("option", { name: "English" }));
    expect(await screen.findByRole("heading", { level: 2 })).toHaveTextContent("Your consent");
    expect(localStorage.getItem("lorastudio.language")).toBe("en");
  });
});
