import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { UpdateStatus } from "@/lib/api";
import { fakeApi } from "@/test/fake-api";
import { AboutButton, AboutDialog } from "./about-dialog";
import { EVENT_LAUNCHED_AGAIN, LaunchedAgain } from "./launched-again";

const info = { version: "0.4.0", data_dir: "/home/ada/.local/share/LoRA Studio" };

describe("AboutDialog", () => {
  it("opens from the header with the version and the data folder, and closes", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ appInfo: vi.fn(async () => info) });
    render(<AboutButton api={api} />);
    await user.click(screen.getByRole("button", { name: "About" }));
    const dialog = screen.getByRole("dialog", { name: "About LoRA Studio" });
    await waitFor(() => expect(screen.getByTestId("about-version")).toHaveTextContent("0.4.0"));
    expect(screen.getByTestId("about-data-dir")).toHaveTextContent("/home/ada/.local/share/LoRA Studio");
    expect(dialog).toHaveTextContent("Not checked: no release URL is configured.");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    // The focus comes back to what opened the dialog.
    expect(screen.getByRole("button", { name: "About" })).toHaveFocus();
    await user.click(screen.getByRole("button", { name: "About" }));
    await user.click(screen.getByRole("button", { name: "Close" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  const at = "2026-11-30T09:00:00Z";
  const cases: { name: string; status: UpdateStatus; says: RegExp }[] = [
    { name: "up to date", status: { enabled: true, current: "0.4.0", checked_at: at }, says: /^Up to date \(checked .+\)\.$/ },
    { name: "not checked yet", status: { enabled: true, current: "0.4.0" }, says: /^Not checked yet/ },
    {
      name: "a failed check",
      status: { enabled: true, current: "0.4.0", checked_at: at, note: "update: the release manifest's signature does not verify" },
      says: /found no usable release: update: the release manifest's signature does not verify\.$/,
    },
    {
      name: "a newer release",
      status: { enabled: true, current: "0.4.0", checked_at: at, available: { version: "0.5.0", url: "https://example.com/d" } },
      says: /^LoRA Studio 0\.5\.0 is available — Download$/,
    },
  ];
  for (const c of cases) {
    it(`says what the update check found: ${c.name}`, async () => {
      const api = fakeApi({ appInfo: vi.fn(async () => info), updateStatus: vi.fn(async () => c.status) });
      render(<AboutDialog api={api} onClose={() => {}} />);
      await waitFor(() => expect(screen.getByTestId("about-update").textContent).toMatch(c.says));
    });
  }

  it("opens the offered release's page only on a click", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      updateStatus: vi.fn(async () => ({ enabled: true, current: "0.4.0", available: { version: "0.5.0", url: "https://example.com/d" } })),
    });
    render(<AboutDialog api={api} onClose={() => {}} />);
    const button = await screen.findByRole("button", { name: "Download" });
    expect(api.openUpdatePage).not.toHaveBeenCalled();
    await user.click(button);
    expect(api.openUpdatePage).toHaveBeenCalledTimes(1);
  });
});

describe("LaunchedAgain", () => {
  it("says for a while that a second start brought this window forward", async () => {
    vi.useFakeTimers();
    try {
      let fire: () => void = () => {};
      const api = fakeApi({
        onEvent: vi.fn((name: string, fn: () => void) => {
          if (name === EVENT_LAUNCHED_AGAIN) fire = fn;
          return () => {};
        }),
      });
      render(<LaunchedAgain api={api} showMs={1000} />);
      expect(screen.queryByRole("status")).not.toBeInTheDocument();
      act(() => fire());
      expect(screen.getByRole("status")).toHaveTextContent("LoRA Studio is already open: this is its window.");
      act(() => vi.advanceTimersByTime(1001));
      expect(screen.queryByRole("status")).not.toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });
});
