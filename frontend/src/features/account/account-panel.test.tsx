import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "@/lib/api";
import { fakeApi } from "@/test/fake-api";
import { AccountPanel } from "./account-panel";

describe("AccountPanel", () => {
  it("signs in, then shows who is signed in", async () => {
    const user = userEvent.setup();
    let signedIn = false;
    const api = fakeApi({
      account: vi.fn(async () =>
        signedIn
          ? { signed_in: true, server_url: "http://s", email: "me@example.com", token_storage: "keyring" }
          : { signed_in: false, token_storage: "keyring" },
      ),
      signIn: vi.fn(async () => {
        signedIn = true;
        return { signed_in: true, token_storage: "keyring" };
      }),
    });
    const onChange = vi.fn();
    render(<AccountPanel api={api} onChange={onChange} />);
    const server = await screen.findByLabelText("Server address");
    await user.clear(server);
    await user.type(server, "http://s");
    await user.type(screen.getByLabelText("Email"), "me@example.com");
    await user.type(screen.getByLabelText("Password"), "a long passphrase");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(api.signIn).toHaveBeenCalledWith({ server_url: "http://s", email: "me@example.com", password: "a long passphrase", create: false });
    expect(await screen.findByTestId("signed-in")).toHaveTextContent("me@example.com on http://s");
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ signed_in: true }));
    expect(screen.queryByTestId("token-note")).not.toBeInTheDocument();
  });

  it("says when the server refused the saved sign-in, and offers it again", async () => {
    let expired = false;
    let onAccount: () => void = () => {};
    const api = fakeApi({
      account: vi.fn(async () =>
        expired
          ? { signed_in: false, expired: true, server_url: "http://s", email: "me@example.com", token_storage: "keyring" }
          : { signed_in: true, server_url: "http://s", email: "me@example.com", token_storage: "keyring" },
      ),
      onEvent: vi.fn((name: string, fn: () => void) => {
        if (name === "account:changed") onAccount = fn;
        return () => {};
      }),
    });
    const onChange = vi.fn();
    render(<AccountPanel api={api} onChange={onChange} />);
    await screen.findByTestId("signed-in");
    expired = true;
    onAccount();
    expect(await screen.findByTestId("session-expired")).toHaveTextContent("Your sign-in to http://s has expired or was revoked");
    expect(screen.getByLabelText("Server address")).toHaveValue("http://s");
    expect(screen.getByLabelText("Email")).toHaveValue("me@example.com");
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ signed_in: false, expired: true }));
  });

  it("says where the token goes without a keyring, and why sign-in failed", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ signIn: vi.fn(async () => Promise.reject(new ApiError("bad_credentials", "email or password is wrong"))) });
    render(<AccountPanel api={api} />);
    expect(await screen.findByTestId("token-note")).toHaveTextContent("readable only by you: no dbus");
    await user.type(screen.getByLabelText("Email"), "me@example.com");
    await user.type(screen.getByLabelText("Password"), "nope");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("email or password is wrong");
  });
});
