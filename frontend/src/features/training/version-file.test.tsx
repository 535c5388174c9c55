import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, type Version } from "@/lib/api";
import { fakeApi } from "@/test/fake-api";
import { VersionFile } from "./version-file";

const base: Version = { id: "v1", number: 1, base_model: "flux-dev", dataset_hash: "sha256:ab", status: "ready", created_at: "2026-11-27T10:00:00Z", active: false };
const file = { version_id: "v1", filename: "alice-v1-flux-dev.safetensors", path: "/data/loras/alice-v1-flux-dev.safetensors", size: 2e6, sha256: "ab", downloaded_at: "2026-11-27T10:00:00Z" };

describe("VersionFile", () => {
  it("downloads with progress from the Go events and can cancel", async () => {
    const user = userEvent.setup();
    let emit: (p: unknown) => void = () => {};
    let finish: (v: unknown) => void = () => {};
    const onDownloaded = vi.fn();
    const api = fakeApi({
      onEvent: vi.fn((name: string, fn: (...d: unknown[]) => void) => {
        if (name === "download:progress") emit = fn;
        return () => {};
      }),
      downloadVersion: vi.fn(() => new Promise((r) => (finish = r)) as never),
    });
    render(<VersionFile api={api} version={base} onDownloaded={onDownloaded} />);
    await user.click(screen.getByRole("button", { name: "Download" }));
    act(() => emit({ version_id: "other", done: 9, total: 10 })); // another version's: ignored
    act(() => emit({ version_id: "v1", done: 1e6, total: 2e6 }));
    expect(screen.getByTestId("download-percent")).toHaveTextContent("50% (1.0 MB of 2.0 MB)");
    expect(screen.getByRole("progressbar", { name: "Download of v1" })).toHaveAttribute("aria-valuenow", "1000000");
    act(() => emit({ version_id: "v1", done: 1e6, total: 2e6, message: "The download link expired; trying a new one." }));
    expect(screen.getByRole("status")).toHaveTextContent("The download link expired; trying a new one.");
    await user.click(screen.getByRole("button", { name: "Cancel download" }));
    expect(api.cancelDownload).toHaveBeenCalledWith("v1");
    await act(async () => finish(file));
    expect(onDownloaded).toHaveBeenCalled();
  });

  it("says a canceled or corrupt download in words that say what to do", async () => {
    const user = userEvent.setup();
    const errors = [
      new ApiError("download_canceled", "download canceled"),
      new ApiError("download_corrupt", "mismatch"),
    ];
    const api = fakeApi({ downloadVersion: vi.fn(async () => Promise.reject(errors.shift())) });
    render(<VersionFile api={api} version={base} onDownloaded={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Download" }));
    expect(await screen.findByText(/Download stopped. What arrived is kept: downloading again resumes from there./)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Download" }));
    expect(await screen.findByText(/did not match the server's checksum, so it was deleted. Download it again./)).toBeInTheDocument();
  });

  it("installs into a detected folder, asks before replacing, and says what the ComfyUI workflow loads", async () => {
    const user = userEvent.setup();
    const comfy = { app: "ComfyUI", path: "/home/a/ComfyUI/models/loras" };
    const installed = { path: comfy.path + "/alice-v1-flux-dev.safetensors", already: false, app: "ComfyUI", lora_name: "alice-v1-flux-dev", workflow_file: "alice-v1-flux-dev.safetensors" };
    const api = fakeApi({
      installFolders: vi.fn(async () => [comfy]),
      installVersion: vi.fn(async (req) => {
        if (!req.replace) throw new ApiError("install_conflict", "ComfyUI's folder already has a different alice-v1-flux-dev.safetensors — Replace it?");
        return installed;
      }),
    });
    render(<VersionFile api={api} version={{ ...base, download: file }} onDownloaded={vi.fn()} />);
    expect(screen.getByTestId("downloaded")).toHaveTextContent(file.path);
    await waitFor(() => expect(screen.getByRole("combobox", { name: "Install v1 into" })).toHaveValue(comfy.path));
    await user.click(screen.getByRole("button", { name: "Install" }));
    const ask = await screen.findByRole("alertdialog", { name: "Replace the file?" });
    expect(ask).toHaveTextContent("ComfyUI's folder already has a different alice-v1-flux-dev.safetensors — Replace it?");
    expect(api.installVersion).toHaveBeenCalledTimes(1); // nothing replaced without asking
    await user.click(screen.getByRole("button", { name: "Replace" }));
    expect(api.installVersion).toHaveBeenLastCalledWith({ version_id: "v1", folder: comfy.path, replace: true });
    const done = await screen.findByTestId("installed");
    expect(done).toHaveTextContent(`Installed in ${installed.path}`);
    expect(done).toHaveTextContent("The compiled ComfyUI workflow then loads exactly alice-v1-flux-dev.safetensors");
  });

  it("adds a folder through the native dialog, and Cancel leaves the file alone", async () => {
    const user = userEvent.setup();
    const chosen = { app: "Chosen folder", path: "/mnt/loras" };
    let folders = [{ app: "ComfyUI", path: "/c/models/loras" }];
    const api = fakeApi({
      installFolders: vi.fn(async () => folders),
      chooseInstallFolder: vi.fn(async () => {
        folders = [...folders, chosen];
        return chosen;
      }),
      installVersion: vi.fn(async () => Promise.reject(new ApiError("install_conflict", "The folder /mnt/loras already has a different alice-v1-flux-dev.safetensors — Replace it?"))),
    });
    render(<VersionFile api={api} version={{ ...base, download: file }} onDownloaded={vi.fn()} />);
    await user.click(await screen.findByRole("button", { name: "Choose folder…" }));
    await waitFor(() => expect(screen.getByRole("combobox", { name: "Install v1 into" })).toHaveValue("/mnt/loras"));
    await user.click(screen.getByRole("button", { name: "Install" }));
    await screen.findByRole("alertdialog");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(api.installVersion).toHaveBeenCalledTimes(1);
    expect(api.installVersion).toHaveBeenCalledWith({ version_id: "v1", folder: "/mnt/loras", replace: false });
  });
});
