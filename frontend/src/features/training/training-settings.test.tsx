import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { fakeApi } from "@/test/fake-api";
import { TrainingSettings } from "./training-settings";

describe("TrainingSettings", () => {
  it("starts from the server's preset and reports only the overrides", async () => {
    const user = userEvent.setup();
    const onChange = vi.fn();
    render(<TrainingSettings api={fakeApi()} baseModel="flux-dev" onChange={onChange} />);
    await user.click(await screen.findByText(/Advanced training settings/));
    const steps = screen.getByLabelText(/Steps/);
    expect(steps).toHaveValue(1000);
    expect(steps).toHaveAttribute("max", "6000");
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({}));
    await user.clear(steps);
    await user.type(steps, "2000");
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({ steps: 2000 }));
  });

  it("says when the server's provider cannot train the chosen model, and blocks it", async () => {
    const onChange = vi.fn();
    render(<TrainingSettings api={fakeApi()} baseModel="sdxl" onChange={onChange} />);
    expect(await screen.findByTestId("model-unsupported")).toHaveTextContent("does not train sdxl");
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith(null));
  });
});
