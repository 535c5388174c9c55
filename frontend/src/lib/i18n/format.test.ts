import { describe, expect, it } from "vitest";
import { formatBytes, formatDateTime, formatNumber, formatPercent } from "./format";

// Intl may separate a unit with a no-break space: compare with plain spaces.
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("format", () => {
  it.each([
    ["en", 512, "512 bytes"],
    ["pt-BR", 512, "512 bytes"],
    ["en", 1500, "1.5 kB"],
    ["pt-BR", 1500, "1,5 kB"],
    ["en", 3_400_000, "3.4 MB"],
    ["pt-BR", 3_400_000, "3,4 MB"],
    ["en", 2_000_000_000, "2.0 GB"],
    ["pt-BR", 2_000_000_000, "2,0 GB"],
  ])("formatBytes(%s, %d) = %s", (lng, n, want) => {
    expect(plain(formatBytes(lng, n))).toBe(want);
  });

  it.each([
    ["en", 1234.5, "1,234.5"],
    ["pt-BR", 1234.5, "1.234,5"],
  ])("formatNumber(%s, %d) = %s", (lng, n, want) => {
    expect(formatNumber(lng, n, { max: 1 })).toBe(want);
  });

  it("formats a weight with two decimals in each language's separator", () => {
    expect(formatNumber("en", 0.8, { min: 2 })).toBe("0.80");
    expect(formatNumber("pt-BR", 0.8, { min: 2 })).toBe("0,80");
  });

  it("formats percentages", () => {
    expect(plain(formatPercent("en", 0.42))).toBe("42%");
    expect(plain(formatPercent("pt-BR", 0.42))).toBe("42%");
  });

  it("formats dates in each language's order and month names, and nothing for an invalid one", () => {
    const when = new Date(2026, 10, 30, 9, 5);
    expect(plain(formatDateTime("en", when))).toMatch(/^Nov 30, 2026, 9:05/);
    expect(plain(formatDateTime("pt-BR", when))).toMatch(/^30 de nov\. de 2026, 09:05/);
    expect(formatDateTime("en", "not a date")).toBe("");
  });
});
