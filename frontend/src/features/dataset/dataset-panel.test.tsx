import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { DatasetState, Report } from "@/lib/api";
import { emptyDataset, fakeApi } from "@/test/fake-api";
import { DatasetPanel } from "./dataset-panel";

const report: Report = {
  ok: false,
  image_count: 2,
  dataset_hash: "sha256:x",
  errors: [{ code: "no_face", message: "no face was found: replace it with a photo of your face", files: ["fruit.jpg"] }],
  warnings: [],
  items: [
    { file: "me.jpg", sha256: "a", width: 800, height: 600, faces: 1, pose: "frontal", issues: [] },
    {
      file: "fruit.jpg",
      sha256: "b",
      width: 800,
      height: 600,
      faces: 0,
      issues: [{ code: "no_face", severity: "error", message: "no face was found: replace it with a photo of your face" }],
    },
  ],
  variety: { poses: { frontal: 1 } },
};

const withPhotos: DatasetState = emptyDataset({
  status: "rejected",
  report,
  items: [
    { id: "1", name: "me.jpg", original_path: "/p/me.jpg", sha256: "a", size: 1, state: "ok", thumb_url: "/thumbs/d1/a.jpg" },
    { id: "2", name: "fruit.jpg", original_path: "/p/fruit.jpg", sha256: "b", size: 1, state: "error", thumb_url: "/thumbs/d1/b.jpg" },
  ],
  training: { allowed: false, reason: "Fix the errors the validation found, then validate again." },
});

// A set whose main person is in 2 of 3 compared photos; the third shows
// someone else, and one photo was enlarged from a smaller original.
const otherMessage = "this face does not match the person in most of your photos (compare with me.jpg): remove it if it is not you";
const upscaledMessage = "this photo was enlarged from about 400x300 pixels: use the original";
const identityReport: Report = {
  ok: false,
  image_count: 3,
  dataset_hash: "sha256:y",
  errors: [{ code: "different_person", message: "1 photo shows someone other than the person in most of the set", files: ["cousin.jpg"] }],
  warnings: [{ code: "upscaled", message: "1 photo was enlarged", files: ["small.jpg"] }],
  items: [
    { file: "cousin.jpg", sha256: "c", width: 800, height: 600, faces: 1, identity_distance: 0.9, issues: [{ code: "different_person", severity: "error", message: otherMessage }] },
    { file: "me.jpg", sha256: "a", width: 800, height: 600, faces: 1, face_box: { x: 300, y: 150, w: 200, h: 200 }, pitch: 3, roll: -1, identity_distance: 0, issues: [] },
    { file: "small.jpg", sha256: "s", width: 800, height: 600, faces: 1, identity_distance: 0.2, issues: [{ code: "upscaled", severity: "warning", message: upscaledMessage }] },
  ],
  variety: { poses: {} },
  identity: { compared: 3, reference: "me.jpg", reference_box: { x: 300, y: 150, w: 200, h: 200 }, clear: true, members: 2, others: ["cousin.jpg"] },
};
const withSomeoneElse: DatasetState = emptyDataset({
  status: "rejected",
  report: identityReport,
  items: [
    { id: "1", name: "me.jpg", original_path: "/p/me.jpg", sha256: "a", size: 1, state: "ok", thumb_url: "/thumbs/d1/a.jpg" },
    { id: "2", name: "cousin.jpg", original_path: "/p/cousin.jpg", sha256: "c", size: 1, state: "error", thumb_url: "/thumbs/d1/c.jpg" },
    { id: "3", name: "small.jpg", original_path: "/p/small.jpg", sha256: "s", size: 1, state: "warning", thumb_url: "/thumbs/d1/s.jpg" },
  ],
  training: { allowed: false, reason: "Fix the errors the validation found, then validate again." },
});

describe("DatasetPanel", () => {
  it("marks the photo of someone else and the enlarged photo on their cards, with a title and Go's message", async () => {
    render(<DatasetPanel api={fakeApi({ dataset: vi.fn(async () => withSomeoneElse) })} baseModel="flux-dev" signedIn={false} />);
    const cousin = await screen.findByTestId("photo-cousin.jpg");
    expect(cousin).toHaveAttribute("data-state", "error");
    expect(within(cousin).getByText("error")).toBeInTheDocument();
    expect(within(cousin).getByText(/this face does not match/)).toHaveTextContent(`Someone else: ${otherMessage}`);
    const small = screen.getByTestId("photo-small.jpg");
    expect(small).toHaveAttribute("data-state", "warning");
    expect(within(small).getByText(/was enlarged from about 400x300/)).toHaveTextContent(`Enlarged photo: ${upscaledMessage}`);
  });

  it("shows Go's message alone for an issue code newer than this screen", async () => {
    const newer: Report = {
      ...report,
      items: [report.items[0], { ...report.items[1], issues: [{ code: "some_new_code", severity: "error", message: "a new problem: fix it" }] }],
    };
    render(<DatasetPanel api={fakeApi({ dataset: vi.fn(async () => ({ ...withPhotos, report: newer })) })} baseModel="flux-dev" signedIn={false} />);
    const note = within(await screen.findByTestId("photo-fruit.jpg")).getByText("a new problem: fix it");
    expect(note).toHaveTextContent(/^a new problem: fix it$/);
  });

  it("shows who the photos show after validation, and removes the photos of someone else in one click", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ dataset: vi.fn(async () => withSomeoneElse) });
    render(<DatasetPanel api={api} baseModel="flux-dev" signedIn={false} />);
    const block = await screen.findByRole("region", { name: "Who these photos show" });
    expect(within(block).getByRole("img", { name: "Your reference face, from me.jpg" })).toHaveAttribute("src", "/thumbs/d1/a.jpg");
    expect(block).toHaveTextContent("This is the person the LoRA will learn: 2 of 3 photos match.");
    expect(within(within(block).getByRole("list", { name: "Photos of someone else" })).getByText("cousin.jpg")).toBeInTheDocument();
    await user.click(within(block).getByRole("button", { name: "Remove this photo" }));
    expect(api.removeItem).toHaveBeenCalledTimes(1);
    expect(api.removeItem).toHaveBeenCalledWith("2");
  });

  it("shows no identity block for a report saved before faces were compared", async () => {
    render(<DatasetPanel api={fakeApi({ dataset: vi.fn(async () => withPhotos) })} baseModel="flux-dev" signedIn={false} />);
    await screen.findByTestId("report");
    expect(screen.queryByRole("region", { name: "Who these photos show" })).not.toBeInTheDocument();
  });

  it("names the bad file and why, and keeps training locked with the reason", async () => {
    render(<DatasetPanel api={fakeApi({ dataset: vi.fn(async () => withPhotos) })} baseModel="flux-dev" signedIn={false} />);
    const bad = await screen.findByTestId("photo-fruit.jpg");
    expect(bad).toHaveAttribute("data-state", "error");
    expect(within(bad).getByText(/no face was found/)).toBeInTheDocument();
    expect(screen.getByTestId("start-training")).toBeDisabled();
    expect(screen.getByTestId("training-reason")).toHaveTextContent("Fix the errors");
    expect(screen.getByTestId("photo-count")).toHaveTextContent("2 photos: at least 15, 20 to 30 recommended");
    expect(screen.getByTestId("variety")).toHaveTextContent("1 frontal, 0 three-quarter, 0 profile");
  });

  it("removes a photo and validates with the chosen base model and resolution", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ dataset: vi.fn(async () => withPhotos), validateDataset: vi.fn(async () => report) });
    render(<DatasetPanel api={api} baseModel="sdxl" signedIn={false} />);
    await user.click(await screen.findByRole("button", { name: "Remove fruit.jpg" }));
    expect(api.removeItem).toHaveBeenCalledWith("2");
    const minRes = screen.getByRole("spinbutton", { name: "Smallest short side in pixels" });
    await user.clear(minRes);
    await user.type(minRes, "256");
    await user.click(screen.getByRole("button", { name: "Validate dataset" }));
    expect(api.validateDataset).toHaveBeenCalledWith({ base_model: "sdxl", min_resolution: 256 });
  });

  it("shows progress from Go's events", async () => {
    const handlers: Record<string, (d: unknown) => void> = {};
    const api = fakeApi({
      onEvent: vi.fn((name: string, fn: (...d: unknown[]) => void) => {
        handlers[name] = fn;
        return () => {};
      }),
    });
    render(<DatasetPanel api={api} baseModel="flux-dev" signedIn={false} />);
    await screen.findByTestId("photo-count");
    act(() => handlers["dataset:import"]({ done: 3, total: 20, file: "c.jpg" }));
    expect(screen.getByRole("progressbar", { name: "Import progress" })).toHaveAttribute("aria-valuenow", "3");
    expect(screen.getByText("Importing 3 of 20: c.jpg")).toBeInTheDocument();
    // The last file ends the task (a drop has no button to do it) and reloads.
    const loads = vi.mocked(api.dataset).mock.calls.length;
    await act(async () => handlers["dataset:import"]({ done: 20, total: 20, file: "t.jpg" }));
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();
    expect(vi.mocked(api.dataset).mock.calls.length).toBeGreaterThan(loads);
  });

  it("lists the files an import refused, with the reason", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      pickAndImport: vi.fn(async () => ({ added: [], skipped: [], failed: [{ file: "/p/gone.jpg", reason: "cannot open it" }] })),
    });
    render(<DatasetPanel api={api} baseModel="flux-dev" signedIn={false} />);
    await user.click(await screen.findByRole("button", { name: /Add photos/ }));
    expect(await screen.findByRole("list", { name: "Files not imported" })).toHaveTextContent("/p/gone.jpg: cannot open it");
  });

  it("uploads a validated dataset with byte progress, only when signed in", async () => {
    const user = userEvent.setup();
    const handlers: Record<string, (d: unknown) => void> = {};
    let finish: (v: unknown) => void = () => {};
    const validated = { ...withPhotos, status: "validated", report: { ...report, ok: true } };
    const api = fakeApi({
      dataset: vi.fn(async () => validated),
      onEvent: vi.fn((name: string, fn: (...d: unknown[]) => void) => {
        handlers[name] = fn;
        return () => {};
      }),
      syncDataset: vi.fn(() => new Promise((r) => (finish = r))) as never,
    });
    const { rerender } = render(<DatasetPanel api={api} baseModel="flux-dev" signedIn={false} />);
    expect(await screen.findByRole("button", { name: "Upload to server" })).toBeDisabled();
    rerender(<DatasetPanel api={api} baseModel="flux-dev" signedIn={true} />);
    await user.click(screen.getByRole("button", { name: "Upload to server" }));
    act(() => handlers["sync:progress"]({ file: "me.jpg", done: 2_500_000, total: 5_000_000 }));
    expect(screen.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("aria-valuenow", "2500000");
    expect(screen.getByText("Uploading 2.5 MB of 5.0 MB: me.jpg")).toBeInTheDocument();
    await act(async () =>
      finish({ session: "s", dataset_id: "d", state: "validated", validation: { status: "validated" }, total: { bytes_total: 5, bytes_sent: 5, bytes_resent: 0 } }),
    );
    expect(await screen.findByTestId("sync-result")).toHaveTextContent("found the dataset validated");
  });
});
