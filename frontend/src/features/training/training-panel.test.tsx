import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Job, Version } from "@/lib/api";
import { fakeApi } from "@/test/fake-api";
import { TrainingPanel } from "./training-panel";

const job = { job_id: "j1", version_id: "v2", status: "queued" };

// jobState is a job as Go sends it (every field of the generated Job).
function jobState(over: Pick<Job, "status" | "progress"> & Partial<Job>): Job {
  return { id: "j1", version_id: "v2", logs_url: "", error: "", created_at: "2026-11-27T10:00:00Z", updated_at: "2026-11-27T10:00:00Z", ...over };
}

function version(n: number, over: Partial<Version> = {}): Version {
  return { id: `v${n}`, number: n, base_model: "flux-dev", dataset_hash: "sha256:abcdef0123456789abcdef", status: "ready", created_at: "2026-11-27T10:00:00Z", active: false, ...over };
}

describe("TrainingPanel", () => {
  it("follows the job until it succeeds, then lists the new version", async () => {
    const states: Job[] = [
      jobState({ status: "running", progress: 0.4 }),
      jobState({ status: "succeeded", progress: 1 }),
    ];
    let versions: Version[] = [version(1, { active: true, weight: 1 })];
    const api = fakeApi({
      job: vi.fn(async () => {
        const s = states.shift()!;
        if (s.status === "succeeded") versions = [version(2), ...versions];
        return s;
      }),
      versions: vi.fn(async () => ({ versions, offline: false })),
    });
    render(<TrainingPanel api={api} job={job} baseModel="flux-dev" targetPlatform="veo-3.1" onRetry={vi.fn()} pollMs={5} />);
    await waitFor(() => expect(screen.getByTestId("job-status")).toHaveAttribute("data-status", "succeeded"));
    expect(await screen.findByTestId("version-2")).toHaveTextContent("ready");
    expect(screen.getByTestId("version-1")).toHaveTextContent("active at 1.00");
  });

  it("shows the end of the training log while it runs", async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `lora: step ${i + 1}/50`).join("\n");
    const api = fakeApi({ jobLog: vi.fn(async () => ({ log: lines + "\n", available: true })) });
    render(<TrainingPanel api={api} job={job} baseModel="flux-dev" targetPlatform="veo-3.1" onRetry={vi.fn()} pollMs={1000} />);
    const log = await screen.findByLabelText("Training log");
    expect(log).toHaveTextContent("lora: step 50/50");
    expect(log).toHaveTextContent("lora: step 21/50");
    expect(log).not.toHaveTextContent("lora: step 20/50"); // the last 30 lines only
    expect(api.jobLog).toHaveBeenCalledWith("j1");
  });

  it("shows the worker's message and offers a retry", async () => {
    const user = userEvent.setup();
    const onRetry = vi.fn();
    const api = fakeApi({ job: vi.fn(async () => jobState({ status: "failed", progress: 0.2, error: "CUDA out of memory" })) });
    render(<TrainingPanel api={api} job={job} baseModel="sdxl" targetPlatform="veo-3.1" onRetry={onRetry} pollMs={5} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Training failed: CUDA out of memory");
    await user.click(screen.getByRole("button", { name: "Retry training" }));
    expect(onRetry).toHaveBeenCalled();
  });

  it("cancels a running training, and offers to train again", async () => {
    const user = userEvent.setup();
    const onRetry = vi.fn();
    let canceled = false;
    const api = fakeApi({
      job: vi.fn(async () =>
        canceled
          ? jobState({ status: "canceled", progress: 0.3, error: "canceled by the user" })
          : jobState({ status: "running", progress: 0.3 }),
      ),
      cancelTraining: vi.fn(async () => {
        canceled = true;
        return { job: jobState({ status: "canceled", progress: 0.3 }), queued: false };
      }),
    });
    render(<TrainingPanel api={api} job={job} baseModel="flux-dev" targetPlatform="veo-3.1" onRetry={onRetry} pollMs={5} />);
    await waitFor(() => expect(screen.getByTestId("job-status")).toHaveAttribute("data-status", "running"));
    await user.click(screen.getByRole("button", { name: "Cancel training" }));
    expect(api.cancelTraining).toHaveBeenCalledWith("j1");
    expect(await screen.findByText("Training canceled: the version it was making is marked failed.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel training" })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Train again" }));
    expect(onRetry).toHaveBeenCalled();
  });

  it("says when a cancel waits for the server", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ cancelTraining: vi.fn(async () => ({ queued: true })) });
    render(<TrainingPanel api={api} job={job} baseModel="flux-dev" targetPlatform="veo-3.1" onRetry={vi.fn()} pollMs={1000} />);
    await user.click(await screen.findByRole("button", { name: "Cancel training" }));
    expect(await screen.findByRole("status")).toHaveTextContent("The cancel waits for the server");
    expect(screen.getByRole("button", { name: "Cancel training" })).toBeDisabled();
  });

  it("activates a version with its weight, and offers a rollback to an older one", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      versions: vi.fn(async () => ({ versions: [version(2, { active: true, weight: 0.9 }), version(1, { base_model: "sdxl" })], offline: true })),
    });
    // The default weight is the base model's data, not a rule in the panel.
    const models = [
      { id: "flux-dev", default_weight: 1 },
      { id: "sdxl", default_weight: 0.7 },
    ];
    render(<TrainingPanel api={api} job={null} baseModel="flux-dev" baseModels={models} targetPlatform="grok-3" onRetry={vi.fn()} />);
    await user.click(await screen.findByRole("button", { name: "Roll back to this" }));
    expect(screen.getByTestId("versions-offline")).toHaveTextContent("as it last reported them");
    expect(api.activate).toHaveBeenCalledWith("v1", 0.7, "grok-3"); // SDXL's default_weight from the data
  });
});
