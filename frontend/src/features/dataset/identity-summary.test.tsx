import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { DatasetItem, Report } from "@/lib/api";
import { faceCropStyle, IdentitySummary } from "./identity-summary";

describe("faceCropStyle", () => {
  it.each([
    {
      name: "a face well inside the photo: a square of 1.5 face sides, centred on it",
      box: { x: 120, y: 80, w: 300, h: 300 },
      size: [1000, 800],
      // side 450, from (45, 5): 1000/450, 800/450, -45/450, -5/450.
      want: { width: "222.22%", height: "177.78%", left: "-10%", top: "-1.11%" },
    },
    {
      name: "a face at the top-left corner: the square stays inside the photo",
      box: { x: 0, y: 0, w: 100, h: 100 },
      size: [1000, 1000],
      want: { width: "666.67%", height: "666.67%", left: "0%", top: "0%" },
    },
    {
      name: "a face at the bottom-right corner",
      box: { x: 900, y: 650, w: 100, h: 100 },
      size: [1000, 750],
      // side 150, from (850, 600).
      want: { width: "666.67%", height: "500%", left: "-566.67%", top: "-400%" },
    },
    {
      name: "a face wider than the photo's short side: the square is the short side",
      box: { x: 50, y: 0, w: 600, h: 500 },
      size: [800, 600],
      // side 600 (not 900), centred at x 350, from (50, 0).
      want: { width: "133.33%", height: "100%", left: "-8.33%", top: "0%" },
    },
    {
      name: "a tall face: the square follows the longer side",
      box: { x: 400, y: 300, w: 100, h: 200 },
      size: [1000, 1000],
      // side 300, centred at (450, 400), from (300, 250).
      want: { width: "333.33%", height: "333.33%", left: "-100%", top: "-83.33%" },
    },
  ])("$name", ({ box, size, want }) => {
    expect(faceCropStyle(box, size[0], size[1])).toEqual({ position: "absolute", maxWidth: "none", ...want });
  });

  it.each([
    ["an empty box", { x: 10, y: 10, w: 0, h: 40 }, 100, 100],
    ["a photo of unknown size", { x: 10, y: 10, w: 40, h: 40 }, 0, 100],
  ])("gives no crop for %s", (_, box, w, h) => {
    expect(faceCropStyle(box, w, h)).toBeNull();
  });
});

const photo = (name: string, id: string): DatasetItem => ({
  id,
  name,
  original_path: `/p/${name}`,
  sha256: id,
  size: 1,
  state: "ok",
  thumb_url: `/thumbs/d1/${id}.jpg`,
});

function reportWith(identity: Report["identity"], files = ["IMG_03.jpg", "x1.jpg", "x2.jpg"]): Report {
  return {
    ok: false,
    image_count: files.length,
    dataset_hash: "sha256:x",
    errors: [],
    warnings: [],
    items: files.map((f) => ({ file: f, sha256: f, width: 1000, height: 800, faces: 1, issues: [] })),
    variety: { poses: {} },
    identity,
  };
}

const photos = [photo("IMG_03.jpg", "r"), photo("x1.jpg", "a"), photo("x2.jpg", "b"), photo("me2.jpg", "c")];

describe("IdentitySummary", () => {
  it("shows the reference face with how many photos match, and the photos of someone else with a way to remove them", async () => {
    const user = userEvent.setup();
    const onRemove = vi.fn();
    const report = reportWith({
      compared: 19,
      reference: "IMG_03.jpg",
      reference_box: { x: 120, y: 80, w: 300, h: 300 },
      clear: true,
      members: 11,
      others: ["x1.jpg", "x2.jpg"],
    });
    render(<IdentitySummary report={report} photos={photos} onRemove={onRemove} />);

    const block = screen.getByRole("region", { name: "Who these photos show" });
    const face = within(block).getByRole("img", { name: "Your reference face, from IMG_03.jpg" });
    expect(face).toHaveAttribute("src", "/thumbs/d1/r.jpg");
    // The crop of the reference box in the 1000x800 photo (see faceCropStyle).
    expect(face).toHaveStyle({ position: "absolute", width: "222.22%", left: "-10%", top: "-1.11%" });
    expect(screen.getByTestId("identity-caption")).toHaveTextContent("This is the person the LoRA will learn: 11 of 19 photos match.");

    expect(within(block).getByText("These 2 photos show someone else:")).toBeInTheDocument();
    const list = within(block).getByRole("list", { name: "Photos of someone else" });
    const rows = within(list).getAllByRole("listitem");
    expect(rows.map((r) => r.textContent)).toEqual(["x1.jpg", "x2.jpg"]);
    expect(rows[0].querySelector("img")).toHaveAttribute("src", "/thumbs/d1/a.jpg");
    expect(block).toHaveTextContent("Remove the ones that are not you");
    expect(screen.queryByTestId("identity-unclear")).not.toBeInTheDocument();

    await user.click(within(block).getByRole("button", { name: "Remove these 2 photos" }));
    expect(onRemove).toHaveBeenCalledWith(["a", "b"]);
  });

  it("says plainly when no one person is in most of the photos, and names no one as someone else", () => {
    const report = reportWith({
      compared: 19,
      reference: "IMG_03.jpg",
      reference_box: { x: 120, y: 80, w: 300, h: 300 },
      clear: false,
      members: 6,
      others: [],
    });
    render(<IdentitySummary report={report} photos={photos} onRemove={vi.fn()} />);
    expect(screen.getByTestId("identity-unclear")).toHaveTextContent(
      "No one person is in most of these photos, so it is not clear whose face the LoRA would learn. The photos must all be of you, alone",
    );
    expect(screen.getByTestId("identity-caption")).toHaveTextContent("The face seen most often is in only 6 of 19 photos.");
    expect(screen.getByRole("img", { name: "The face seen most often, from IMG_03.jpg" })).toBeInTheDocument();
    expect(screen.queryByText(/will learn/)).not.toBeInTheDocument();
    expect(screen.queryByRole("list", { name: "Photos of someone else" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Remove/ })).not.toBeInTheDocument();
  });

  it("says one photo in the singular, and offers no removal without a remove action", () => {
    const report = reportWith({ compared: 3, reference: "IMG_03.jpg", reference_box: { x: 1, y: 1, w: 50, h: 50 }, clear: true, members: 2, others: ["x2.jpg"] });
    render(<IdentitySummary report={report} photos={photos} />);
    expect(screen.getByText("This photo shows someone else:")).toBeInTheDocument();
    expect(screen.getByRole("region")).toHaveTextContent("Remove it if it is not you. If it is you, replace it");
    expect(screen.queryByRole("button")).not.toBeInTheDocument();
  });

  it.each([
    ["no face was compared", { compared: 0, reference: "", reference_box: null, clear: false, members: 0, others: [] }],
    ["the report predates face comparison", undefined],
  ])("shows nothing when %s", (_, identity) => {
    const { container } = render(<IdentitySummary report={reportWith(identity)} photos={photos} onRemove={vi.fn()} />);
    expect(container).toBeEmptyDOMElement();
  });

  it("with one compared face, shows it without a count", () => {
    const report = reportWith({ compared: 1, reference: "IMG_03.jpg", reference_box: { x: 120, y: 80, w: 300, h: 300 }, clear: true, members: 1, others: [] }, [
      "IMG_03.jpg",
    ]);
    render(<IdentitySummary report={report} photos={photos} />);
    expect(screen.getByTestId("identity-caption")).toHaveTextContent(/^This is the person the LoRA will learn\.$/);
    expect(screen.getByRole("img", { name: "Your reference face, from IMG_03.jpg" })).toBeInTheDocument();
  });
});
