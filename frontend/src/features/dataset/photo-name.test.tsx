import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { PhotoName, shortName } from "./photo-name";

describe("shortName", () => {
  it.each([
    ["caption.jpg", "caption.jpg"],
    ["skimage_rocket.jpg", "skimage_rocket.jpg"],
    ["x".repeat(48) + ".jpg", "x".repeat(35) + "…" + "xxxxxxxx.jpg"],
    ["holiday-in-the-mountains-with-the-whole-family-2026-08-14.jpeg", "holiday-in-the-mountains-with-the-…26-08-14.jpeg"],
    ["a".repeat(60), "a".repeat(39) + "…" + "a".repeat(8)],
  ])("%s -> %s", (name, want) => {
    const got = shortName(name);
    expect(got).toBe(want);
    expect([...got].length).toBeLessThanOrEqual(48);
    const ext = name.match(/\.[a-z]+$/)?.[0];
    if (ext) expect(got.endsWith(ext)).toBe(true);
  });
});

describe("PhotoName", () => {
  it("shows a short name whole", () => {
    render(<PhotoName name="caption.jpg" path="/home/me/caption.jpg" />);
    expect(screen.getByTestId("photo-name")).toHaveTextContent(/^caption\.jpg$/);
    expect(screen.getByTestId("photo-name")).toHaveAttribute("title", "/home/me/caption.jpg");
  });

  it("keeps the whole of a long name for screen readers", () => {
    const long = "holiday-in-the-mountains-with-the-whole-family-2026-08-14.jpeg";
    render(<PhotoName name={long} />);
    const el = screen.getByTestId("photo-name");
    expect(el.querySelector(".sr-only")).toHaveTextContent(long);
    expect(el.querySelector("[aria-hidden]")).toHaveTextContent(shortName(long));
  });
});
