import { describe, expect, it } from "vitest";
import { detectLanguage, followOsLocale, matchLanguage, setLanguage, languageKey } from "./index";
import i18n from "./index";

describe("language", () => {
  it.each([
    ["pt-BR", "pt-BR"],
    ["pt", "pt-BR"],
    ["pt-PT", "pt-BR"],
    ["pt_BR.UTF-8", "pt-BR"],
    ["en-US", "en"],
    ["en", "en"],
    ["de-DE", undefined],
    ["C", undefined],
    ["", undefined],
  ])("matchLanguage(%j) = %j", (tag, want) => {
    expect(matchLanguage(tag)).toBe(want);
  });

  it.each([
    { saved: null, preferred: ["pt-BR", "en-US"], want: "pt-BR" },
    { saved: null, preferred: ["de-DE", "pt-PT"], want: "pt-BR" },
    { saved: null, preferred: ["en-GB", "pt-BR"], want: "en" },
    { saved: null, preferred: ["fr-FR"], want: "en" },
    { saved: null, preferred: [], want: "en" },
    { saved: "en", preferred: ["pt-BR"], want: "en" },
    { saved: "pt-BR", preferred: ["en-US"], want: "pt-BR" },
    { saved: "klingon", preferred: ["pt-BR"], want: "pt-BR" },
  ])("the pick $saved over the OS's $preferred gives $want", ({ saved, preferred, want }) => {
    expect(detectLanguage(saved, preferred)).toBe(want);
  });

  it("follows the OS locale Go read until the user picks a language", async () => {
    localStorage.removeItem(languageKey);
    expect(await followOsLocale("pt-BR")).toBe("pt-BR");
    expect(localStorage.getItem(languageKey)).toBeNull(); // following is not picking
    expect(await followOsLocale("de-DE")).toBe("pt-BR"); // not shipped: no change
    expect(await followOsLocale(undefined)).toBe("pt-BR");
    await setLanguage("en");
    expect(await followOsLocale("pt-BR")).toBe("en"); // the user's pick wins
  });

  it("switches, marks the document and remembers the pick", async () => {
    await setLanguage("pt-BR");
    expect(i18n.language).toBe("pt-BR");
    expect(document.documentElement.lang).toBe("pt-BR");
    expect(localStorage.getItem(languageKey)).toBe("pt-BR");
    expect(i18n.t("common:language")).toBe("Idioma");
    await setLanguage("en");
    expect(i18n.t("common:language")).toBe("Language");
  });
});
