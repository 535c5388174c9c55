import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, type CaptionState, type DatasetState } from "@/lib/api";
import { emptyDataset, fakeApi } from "@/test/fake-api";
import { CaptionField } from "./caption-field";
import { CaptionsReview } from "./captions-review";
import { DatasetPanel } from "./dataset-panel";
import type { Dataset } from "./use-dataset";

const template = "a photo of {trigger} person";
const invalid = "a caption must name the person as {trigger}, where the trigger word goes (e.g. \"a photo of {trigger} person smiling\")";

const photos: DatasetState = emptyDataset({
  status: "validated",
  caption_template: template,
  items: [
    { id: "1", name: "me.jpg", original_path: "/p/me.jpg", sha256: "a", size: 1, state: "ok", thumb_url: "/thumbs/d1/a.jpg", caption: "", caption_source: "template", caption_sent: true },
    {
      id: "2",
      name: "beach.jpg",
      original_path: "/p/beach.jpg",
      sha256: "b",
      size: 1,
      state: "ok",
      thumb_url: "/thumbs/d1/b.jpg",
      caption: "a photo of {trigger} person, a person, photo 1a2b3c4d, 5120 bytes",
      caption_source: "auto",
      caption_sent: true,
    },
  ],
  training: { allowed: false, reason: "Review the suggested captions, then press Use these captions." },
});

function captionState(over: Partial<CaptionState> = {}): CaptionState {
  return { uploaded: true, suggested: 0, unsent: 0, template, ready: { allowed: true }, ...over };
}

/** fakeDataset is what useDataset gives a section: the state, and a reload to count. */
function fakeDataset(state: DatasetState): Dataset {
  return { state, error: undefined, task: null, run: vi.fn(), reload: vi.fn(async () => {}), minRes: 512, setMinRes: vi.fn() } as unknown as Dataset;
}

describe("CaptionField", () => {
  it("shows the template as the placeholder of an empty caption and saves on Enter, trimmed", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    const onSaved = vi.fn();
    render(<CaptionField api={api} item={photos.items[0]} template={template} onSaved={onSaved} />);
    const field = screen.getByRole("textbox", { name: "Caption of me.jpg" });
    expect(field).toHaveAttribute("placeholder", template);
    expect(field).toHaveValue("");
    await user.type(field, "  a photo of {{trigger} person laughing at the beach {Enter}");
    expect(api.setCaption).toHaveBeenCalledWith("1", "a photo of {trigger} person laughing at the beach");
    expect(onSaved).toHaveBeenCalledTimes(1);
    expect(field).toHaveValue("a photo of {trigger} person laughing at the beach");
    expect(await screen.findByText("Saved")).toBeInTheDocument();
  });

  it("saves on blur, and not again when nothing changed", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    render(<CaptionField api={api} item={photos.items[0]} template={template} />);
    const field = screen.getByRole("textbox", { name: "Caption of me.jpg" });
    await user.click(field);
    await user.tab();
    expect(api.setCaption).not.toHaveBeenCalled();
    await user.type(field, "{{trigger} smiling");
    await user.tab();
    expect(api.setCaption).toHaveBeenCalledWith("1", "{trigger} smiling");
  });

  it("shows Go's message for an invalid caption and keeps what was typed; Escape puts back the saved one", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ setCaption: vi.fn(async () => Promise.reject(new ApiError("invalid_caption", invalid))) });
    render(<CaptionField api={api} item={photos.items[0]} template={template} />);
    const field = screen.getByRole("textbox", { name: "Caption of me.jpg" });
    await user.type(field, "a photo of me{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent(invalid);
    expect(field).toHaveValue("a photo of me");
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(field).toHaveAccessibleDescription(invalid);
    await user.keyboard("{Escape}");
    expect(field).toHaveValue("");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("marks a suggestion, and an edit the server does not have yet", () => {
    render(<CaptionField api={fakeApi()} item={{ ...photos.items[1], caption_sent: false }} template={template} showUnsent />);
    expect(screen.getByText("Suggestion")).toBeInTheDocument();
    expect(screen.getByTestId("caption-unsent")).toHaveTextContent("Not on the server yet");
  });
});

describe("Photos step", () => {
  it("shows each photo's caption on its card, with what {trigger} means", async () => {
    render(<DatasetPanel api={fakeApi({ dataset: vi.fn(async () => photos) })} baseModel="flux-dev" signedIn={false} />);
    const card = await screen.findByTestId("photo-beach.jpg");
    expect(within(card).getByRole("textbox", { name: "Caption of beach.jpg" })).toHaveValue(photos.items[1].caption);
    expect(screen.getByTestId("caption-hint")).toHaveTextContent(`Write {trigger} where the trigger word goes`);
    expect(screen.getByTestId("caption-hint")).toHaveTextContent(`An empty caption uses “${template}”`);
    expect(within(screen.getByTestId("photo-me.jpg")).getByRole("textbox", { name: "Caption of me.jpg" })).toHaveAccessibleDescription(
      expect.stringContaining("replaced by your trigger word"),
    );
  });
});

describe("CaptionsReview", () => {
  it("asks the worker's captioner, shows its progress from Go's events, then the suggestions to use", async () => {
    const user = userEvent.setup();
    const handlers: Record<string, (d: unknown) => void> = {};
    let finish: (v: CaptionState) => void = () => {};
    const api = fakeApi({
      captions: vi.fn(async () => captionState()),
      suggestCaptions: vi.fn(() => new Promise<CaptionState>((r) => (finish = r))),
      acceptCaptions: vi.fn(async () => captionState()),
      onEvent: vi.fn((name: string, fn: (...d: unknown[]) => void) => {
        handlers[name] = fn;
        return () => {};
      }),
    });
    const dataset = fakeDataset(photos);
    render(<CaptionsReview api={api} dataset={dataset} />);
    expect(await screen.findByTestId("captions-ready")).toHaveTextContent("The server has these captions");
    await user.click(screen.getByRole("checkbox", { name: "Replace the captions I wrote too" }));
    const suggest = screen.getByRole("button", { name: "Suggest captions (worker's captioner)" });
    await user.click(suggest);
    expect(api.suggestCaptions).toHaveBeenCalledWith(true);
    expect(suggest).toBeDisabled();
    act(() => handlers["dataset:captions"]({ status: "running", captioned: 0, requested_at: "2026-11-30T09:00:00Z" }));
    expect(screen.getByTestId("caption-run")).toHaveTextContent("The worker's captioner is describing your photos");
    await act(async () =>
      finish(
        captionState({
          suggested: 1,
          run: { status: "done", captioned: 1, requested_at: "2026-11-30T09:00:00Z", finished_at: "2026-11-30T09:00:05Z" },
          ready: { allowed: false, reason: "Review the suggested captions, then press Use these captions." },
        }),
      ),
    );
    expect(screen.getByTestId("caption-run")).toHaveTextContent("The captioner suggested 1 caption.");
    expect(screen.getByTestId("captions-pending")).toHaveTextContent("1 suggestion to review");
    expect(dataset.reload).toHaveBeenCalled();
    const beach = screen.getByTestId("caption-beach.jpg");
    expect(within(beach).getByText("Suggestion")).toBeInTheDocument();
    expect(within(beach).getByRole("textbox", { name: "Caption of beach.jpg" })).toHaveValue(photos.items[1].caption);
    await user.click(screen.getByRole("button", { name: "Use these captions" }));
    expect(api.acceptCaptions).toHaveBeenCalledTimes(1);
    expect(await screen.findByTestId("captions-ready")).toBeInTheDocument();
    expect(screen.queryByTestId("captions-pending")).not.toBeInTheDocument();
  });

  it("reads the captions' state again when the dataset changes, as after an upload", async () => {
    const captions = vi.fn().mockResolvedValueOnce(captionState({ uploaded: false })).mockResolvedValue(captionState());
    const api = fakeApi({ captions });
    const { rerender } = render(<CaptionsReview api={api} dataset={fakeDataset(photos)} />);
    await screen.findByTestId("captions-need-upload");
    rerender(<CaptionsReview api={api} dataset={fakeDataset({ ...photos })} />);
    expect(await screen.findByTestId("captions-ready")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Suggest captions (worker's captioner)" })).toBeEnabled();
  });

  it("cannot ask for suggestions before the upload, and says why", async () => {
    const api = fakeApi({ captions: vi.fn(async () => captionState({ uploaded: false })) });
    render(<CaptionsReview api={api} dataset={fakeDataset(photos)} />);
    expect(await screen.findByTestId("captions-need-upload")).toHaveTextContent("Upload the photos first");
    expect(screen.getByRole("button", { name: "Suggest captions (worker's captioner)" })).toBeDisabled();
  });

  it("says the captioner failed with Go's message, and offers to send edits still waiting", async () => {
    const user = userEvent.setup();
    const message = "the server's captioner failed: the GPU worker is busy. Your captions are unchanged; try again, or write them yourself";
    const api = fakeApi({
      captions: vi.fn(async () => captionState({ unsent: 2, ready: { allowed: false } })),
      suggestCaptions: vi.fn(async () => Promise.reject(new ApiError("unavailable", message))),
    });
    render(<CaptionsReview api={api} dataset={fakeDataset(photos)} />);
    expect(await screen.findByTestId("captions-pending")).toHaveTextContent("2 caption edits are not on the server yet.");
    await user.click(screen.getByRole("button", { name: "Suggest captions (worker's captioner)" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(message);
    expect(screen.getByRole("button", { name: "Suggest captions (worker's captioner)" })).toBeEnabled();
  });

  it("follows a run started before the app was closed until it ends", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const running = captionState({ run: { status: "running", captioned: 0, requested_at: "2026-11-30T09:00:00Z" }, ready: { allowed: false } });
      const done = captionState({ suggested: 2, run: { status: "done", captioned: 2, requested_at: "2026-11-30T09:00:00Z" }, ready: { allowed: false } });
      const captions = vi.fn().mockResolvedValueOnce(running).mockResolvedValueOnce(running).mockResolvedValue(done);
      const dataset = fakeDataset(photos);
      render(<CaptionsReview api={fakeApi({ captions })} dataset={dataset} />);
      expect(await screen.findByTestId("caption-run")).toHaveAttribute("data-status", "running");
      await act(async () => vi.advanceTimersByTimeAsync(4500));
      await waitFor(() => expect(screen.getByTestId("caption-run")).toHaveAttribute("data-status", "done"));
      expect(screen.getByTestId("captions-pending")).toHaveTextContent("2 suggestions to review");
      expect(dataset.reload).toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});
