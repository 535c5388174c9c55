import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, type UpdateStatus } from "@/lib/api";
import { fakeApi } from "@/test/fake-api";
import { UpdateBanner } from "./update-banner";
import { EVENT_UPDATE_STATUS } from "./use-update-status";

const offered: UpdateStatus = {
  enabled: true,
  current: "0.4.0",
  checked_at: "2026-11-30T09:00:00Z",
  available: { version: "0.5.0", url: "https://example.com/download", notes: "Faster training." },
};

/** events lets a test emit what Go would. */
function events() {
  const handlers = new Map<string, (...d: unknown[]) => void>();
  return {
    onEvent: vi.fn((name: string, fn: (...d: unknown[]) => void) => {
      handlers.set(name, fn);
      return () => handlers.delete(name);
    }),
    emit: (name: string, data: unknown) => act(() => handlers.get(name)?.(data)),
  };
}

describe("UpdateBanner", () => {
  it("offers a newer release and opens its page only on a click", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ updateStatus: vi.fn(async () => offered) });
    render(<UpdateBanner api={api} />);
    const banner = await screen.findByRole("region", { name: "Update available" });
    expect(banner).toHaveTextContent("LoRA Studio 0.5.0 is available (you have 0.4.0)");
    expect(banner).toHaveTextContent("Faster training.");
    expect(api.openUpdatePage).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Download" }));
    expect(api.openUpdatePage).toHaveBeenCalledTimes(1);
    // The page is Go's verified one: the UI passes no URL.
    expect(api.openUpdatePage).toHaveBeenCalledWith();
  });

  it("goes away when dismissed, for that version", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      updateStatus: vi.fn(async () => offered),
      dismissUpdate: vi.fn(async () => ({ ...offered, available: undefined })),
    });
    render(<UpdateBanner api={api} />);
    await user.click(await screen.findByRole("button", { name: "Dismiss the notice of 0.5.0" }));
    expect(api.dismissUpdate).toHaveBeenCalledWith("0.5.0");
    await waitFor(() => expect(screen.queryByTestId("update-banner")).not.toBeInTheDocument());
  });

  it("shows nothing when no release is offered, and appears when the startup check finds one", async () => {
    const ev = events();
    const api = fakeApi({
      updateStatus: vi.fn(async () => ({ enabled: true, current: "0.4.0" })),
      onEvent: ev.onEvent,
    });
    render(<UpdateBanner api={api} />);
    await waitFor(() => expect(api.updateStatus).toHaveBeenCalled());
    expect(screen.queryByTestId("update-banner")).not.toBeInTheDocument();
    ev.emit(EVENT_UPDATE_STATUS, { ...offered, available: { version: "0.6.0", url: "https://example.com/d" } });
    expect(await screen.findByTestId("update-banner")).toHaveTextContent("LoRA Studio 0.6.0 is available");
    // A malformed event changes nothing.
    ev.emit(EVENT_UPDATE_STATUS, { available: "0.9.9" });
    expect(screen.getByTestId("update-banner")).toHaveTextContent("0.6.0");
  });

  it("says why the page did not open", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      updateStatus: vi.fn(async () => offered),
      openUpdatePage: vi.fn(async () => {
        throw new ApiError("not_found", "no newer release is offered");
      }),
    });
    render(<UpdateBanner api={api} />);
    await user.click(await screen.findByRole("button", { name: "Download" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("no newer release is offered");
  });
});
