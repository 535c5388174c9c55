import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import i18n from "@/lib/i18n";
import { fakeApi } from "@/test/fake-api";
import { ConsentCard, WithdrawConsent } from "./consent-card";

describe("ConsentCard", () => {
  it("records consent only after the attestation is ticked", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    const onGiven = vi.fn();
    render(<ConsentCard api={api} onGiven={onGiven} />);
    expect(await screen.findByText("What is collected.")).toBeInTheDocument();
    const button = screen.getByRole("button", { name: "I consent" });
    expect(button).toBeDisabled();
    await user.click(screen.getByRole("checkbox", { name: /Every photo I add shows me/ }));
    await user.click(button);
    expect(api.giveConsent).toHaveBeenCalledWith("v1", true);
    expect(onGiven).toHaveBeenCalled();
  });

  it("asks for the text in the studio's language and records the version read", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    render(<ConsentCard api={api} onGiven={vi.fn()} />);
    await screen.findByText("What is collected.");
    await user.click(screen.getByRole("checkbox", { name: /Every photo I add shows me/ }));
    await act(() => i18n.changeLanguage("pt-BR"));
    expect(api.consentText).toHaveBeenLastCalledWith("pt-BR");
    // The tick given under the English text does not carry over.
    const button = await screen.findByRole("button", { name: "Eu consinto" });
    expect(button).toBeDisabled();
    await user.click(screen.getByRole("checkbox", { name: /Every photo I add shows me/ }));
    await user.click(button);
    expect(api.giveConsent).toHaveBeenCalledWith("v1.pt-BR", true);
  });

  it("shows the server's terms and why consent is asked again", async () => {
    const api = fakeApi({
      consentText: vi.fn(async () => ({
        version: "v1",
        language: "en",
        languages: ["en"],
        text: "# Title\n\nHow long.",
        sha256: "ab",
        purpose: "p",
        attestation: "Every photo I add shows me.",
        processors: ["storage: R2", "training: Replicate, Inc. (GPU training)"],
        retention_days: 30,
      })),
    });
    const notice = "Your photos and trained versions were deleted on 1 December 2026 because the 30-day retention period you agreed to ended. Give consent again to continue.";
    render(<ConsentCard api={api} onGiven={vi.fn()} notice={notice} />);
    expect(await screen.findByTestId("consent-retention")).toHaveTextContent("30 days from today");
    expect(screen.getByTestId("consent-processors")).toHaveTextContent("Replicate, Inc. (GPU training)");
    expect(screen.getByRole("status")).toHaveTextContent(notice);
  });

  it("shows why consent could not be recorded", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ giveConsent: vi.fn(async () => Promise.reject(new Error("disk full"))) });
    render(<ConsentCard api={api} onGiven={vi.fn()} />);
    await user.click(await screen.findByRole("checkbox"));
    await user.click(screen.getByRole("button", { name: "I consent" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("disk full");
  });
});

describe("WithdrawConsent", () => {
  it("says what it erases and asks before erasing", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ withdrawConsent: vi.fn(async () => ({ photos: 21, loras: 2, server: "erased" })) });
    const onWithdrawn = vi.fn();
    render(<WithdrawConsent api={api} onWithdrawn={onWithdrawn} />);
    await user.click(screen.getByRole("button", { name: "Withdraw consent…" }));
    expect(screen.getByRole("alertdialog")).toHaveTextContent(/erases every photo you added/);
    expect(screen.getByRole("alertdialog")).toHaveTextContent(/every trained LoRA downloaded here and the copies LoRA Studio installed/);
    expect(api.withdrawConsent).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Withdraw and erase" }));
    expect(onWithdrawn).toHaveBeenCalledWith(21, "erased", 2);
  });

  it("keeps the focus inside while it asks, starting on the safe answer, and gives it back after", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    render(
      <>
        <button>elsewhere</button>
        <WithdrawConsent api={api} onWithdrawn={vi.fn()} />
      </>,
    );
    const open = screen.getByRole("button", { name: "Withdraw consent…" });
    await user.click(open);
    const dialog = screen.getByRole("alertdialog", { name: "Withdraw consent" });
    expect(screen.getByRole("button", { name: "Keep my consent" })).toHaveFocus();
    // Tab cycles between the two answers: never out to the page behind.
    await user.tab();
    expect(screen.getByRole("button", { name: "Withdraw and erase" })).toHaveFocus();
    await user.tab();
    expect(dialog).toContainElement(document.activeElement as HTMLElement);
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(open).toHaveFocus();
    expect(api.withdrawConsent).not.toHaveBeenCalled();
  });

  it("stays open and says why when the erasure failed", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ withdrawConsent: vi.fn(async () => Promise.reject(new Error("disk busy"))) });
    render(<WithdrawConsent api={api} onWithdrawn={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Withdraw consent…" }));
    await user.click(screen.getByRole("button", { name: "Withdraw and erase" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("disk busy");
    expect(screen.getByRole("alertdialog")).toBeInTheDocument();
  });
});
