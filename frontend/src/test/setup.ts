import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => cleanup());

// Radix Select measures and scrolls; jsdom has neither.
Element.prototype.scrollIntoView ??= function () {};
Element.prototype.hasPointerCapture ??= function () {
  return false;
};
Element.prototype.releasePointerCapture ??= function () {};
