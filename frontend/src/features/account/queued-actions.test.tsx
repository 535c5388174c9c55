import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { QueuedAction } from "@/lib/api";
import { fakeApi } from "@/test/fake-api";
import { QueuedActions } from "./queued-actions";

const waiting: QueuedAction = {
  id: 1, kind: "job", what: "Start training on Flux dev", status: "pending", attempts: 2,
  next_attempt_at: "2026-11-27T12:00:00Z", error: "cannot reach the server", created_at: "2026-11-27T11:59:00Z",
};
const refused: QueuedAction = {
  id: 2, kind: "activate", what: "Activate a version", status: "failed", attempts: 1,
  next_attempt_at: "2026-11-27T12:00:00Z", error: "no version 7", created_at: "2026-11-27T11:59:00Z",
};

describe("QueuedActions", () => {
  it("shows nothing when nothing waits", async () => {
    const api = fakeApi();
    const { container } = render(<QueuedActions api={api} />);
    await waitFor(() => expect(api.queuedActions).toHaveBeenCalled());
    expect(container).toBeEmptyDOMElement();
  });

  it("lists what waits and what was refused, and acts on them", async () => {
    const user = userEvent.setup();
    let list = [waiting, refused];
    const api = fakeApi({
      queuedActions: vi.fn(async () => list),
      dismissAction: vi.fn(async (id: number) => {
        list = list.filter((a) => a.id !== id);
        return undefined;
      }),
    });
    render(<QueuedActions api={api} />);
    const box = await screen.findByTestId("queued-actions");
    expect(box).toHaveTextContent("1 action waits for the server");
    expect(box).toHaveTextContent("Start training on Flux dev");
    expect(box).toHaveTextContent("tried 2 times (cannot reach the server)");
    expect(within(box).getByRole("alert")).toHaveTextContent("The server refused it: no version 7");
    await user.click(screen.getByRole("button", { name: "Send now" }));
    expect(api.sendQueued).toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Retry" }));
    expect(api.retryAction).toHaveBeenCalledWith(2);
    await user.click(screen.getByRole("button", { name: "Dismiss: Activate a version" }));
    await waitFor(() => expect(screen.queryByText("Activate a version")).toBeNull());
    expect(screen.getByText("Start training on Flux dev")).toBeInTheDocument();
  });
});
