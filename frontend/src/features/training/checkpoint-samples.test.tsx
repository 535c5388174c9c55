import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Checkpoint } from "@/lib/api";
import { fakeApi } from "@/test/fake-api";
import { CheckpointSamples } from "./checkpoint-samples";

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

function checkpoint(step: number, over: Partial<Checkpoint> = {}): Checkpoint {
  return {
    step,
    sha256: "ab",
    size: 10,
    final: false,
    samples: [{ index: 0, prompt: "a photo of ohwx person", url: `https://blob/s${step}.png?sig=1`, sha256: "cd", size: 5, expires_at: inAnHour() }],
    ...over,
  };
}

describe("CheckpointSamples", () => {
  it("polls while the job runs and shows each checkpoint's samples as they arrive", async () => {
    const lists = [[checkpoint(250)], [checkpoint(250), checkpoint(500)]];
    const api = fakeApi({ checkpoints: vi.fn(async () => lists.length > 1 ? lists.shift()! : lists[0]) });
    render(<CheckpointSamples api={api} jobID="j1" status="running" onPromoted={vi.fn()} pollMs={5} />);
    expect(await screen.findByTestId("checkpoint-500")).toBeInTheDocument();
    const img = screen.getByRole("img", { name: "Sample at step 250: a photo of ohwx person" });
    expect(img).toHaveAttribute("src", "https://blob/s250.png?sig=1");
    expect(api.checkpoints).toHaveBeenCalledWith("j1");
    // No version can be made while it trains.
    expect(screen.queryByRole("button", { name: /version/ })).toBeNull();
  });

  it("after success, makes the chosen checkpoint a version and says so", async () => {
    const user = userEvent.setup();
    const onPromoted = vi.fn();
    const api = fakeApi({
      checkpoints: vi.fn(async () => [checkpoint(250), checkpoint(500, { final: true, version_id: "v1" })]),
      promoteCheckpoint: vi.fn(async () => ({ id: "v2", number: 2, status: "ready" })),
    });
    render(<CheckpointSamples api={api} jobID="j1" status="succeeded" onPromoted={onPromoted} />);
    await user.click(await screen.findByRole("button", { name: "Make this a version" }));
    expect(api.promoteCheckpoint).toHaveBeenCalledWith("j1", 250);
    await waitFor(() => expect(screen.getByTestId("checkpoint-250")).toHaveTextContent("v2"));
    expect(onPromoted).toHaveBeenCalled();
    // The last one is the job's own version already.
    expect(screen.getByTestId("checkpoint-500")).toHaveTextContent("final");
  });

  it("says what to do when the samples cannot be read, and keeps trying", async () => {
    let calls = 0;
    const api = fakeApi({
      checkpoints: vi.fn(async () => {
        if (++calls === 1) throw Object.assign(new Error("the server is not answering"), { code: "unavailable" });
        return [checkpoint(250)];
      }),
    });
    render(<CheckpointSamples api={api} jobID="j1" status="running" onPromoted={vi.fn()} pollMs={5} />);
    expect(await screen.findByTestId("checkpoint-250")).toBeInTheDocument();
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it("fetches new links before the sample links expire", async () => {
    const soon = new Date(Date.now() + 61_000).toISOString(); // a minute and a second left
    const api = fakeApi({ checkpoints: vi.fn(async () => [checkpoint(500, { final: true, samples: [{ ...checkpoint(500).samples![0], expires_at: soon }] })]) });
    render(<CheckpointSamples api={api} jobID="j1" status="succeeded" onPromoted={vi.fn()} />);
    await screen.findByTestId("checkpoint-500");
    await waitFor(() => expect(vi.mocked(api.checkpoints).mock.calls.length).toBeGreaterThanOrEqual(2), { timeout: 3000 });
  });
});
