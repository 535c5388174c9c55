import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
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
    expect(api.giveConsent).toHaveBeenCalledWith(true);
    expect(onGiven).toHaveBeenCalled();
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
    const api = fakeApi({ withdrawConsent: vi.fn(async () => ({ photos: 21, server: "erased" })) });
    const onWithdrawn = vi.fn();
    render(<WithdrawConsent api={api} onWithdrawn={onWithdrawn} />);
    await user.click(screen.getByRole("button", { name: "Withdraw consent…" }));
    expect(screen.getByRole("alertdialog")).toHaveTextContent(/erases every photo you added/);
    expect(api.withdrawConsent).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Withdraw and erase" }));
    expect(onWithdrawn).toHaveBeenCalledWith(21, "erased");
  });
});
