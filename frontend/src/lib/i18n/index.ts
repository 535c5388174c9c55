import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import { resources, namespaces } from "@/locales";

/** The languages the studio ships in, by BCP 47 tag. */
export const languages = ["en", "pt-BR"] as const;
export type Language = (typeof languages)[number];

/** Where the user's own pick is kept; until then the OS locale decides. */
export const languageKey = "lorastudio.language";

/**
 * matchLanguage maps a BCP 47 tag (navigator.language, or a POSIX locale
 * such as "pt_BR.UTF-8") to a shipped language: any Portuguese reads
 * Brazilian Portuguese, anything else English. Returns undefined for an
 * empty tag.
 */
export function matchLanguage(tag: string | null | undefined): Language | undefined {
  if (!tag) return undefined;
  const t = tag.replace("_", "-").toLowerCase();
  if (t === "c" || t === "posix") return undefined;
  return t.startsWith("pt") ? "pt-BR" : t.startsWith("en") ? "en" : undefined;
}

/**
 * detectLanguage picks the first language: the one the user chose in the
 * app, else the first of the OS's preferred languages (the webview's
 * navigator.languages) that LoRA Studio ships, else English.
 */
export function detectLanguage(saved: string | null, preferred: readonly string[]): Language {
  if (saved && (languages as readonly string[]).includes(saved)) return saved as Language;
  for (const tag of preferred) {
    const l = matchLanguage(tag);
    if (l) return l;
  }
  return "en";
}

function savedLanguage(): string | null {
  try {
    return localStorage.getItem(languageKey);
  } catch {
    return null;
  }
}

function preferredLanguages(): readonly string[] {
  if (typeof navigator === "undefined") return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language];
}

void i18n.use(initReactI18next).init({
  resources,
  ns: namespaces,
  defaultNS: "common",
  lng: detectLanguage(savedLanguage(), preferredLanguages()),
  fallbackLng: "en",
  supportedLngs: [...languages],
  interpolation: { escapeValue: false }, // React escapes
  returnNull: false,
  initAsync: false,
});

const markDocument = (lng: string) => {
  if (typeof document !== "undefined") document.documentElement.lang = lng;
};
markDocument(i18n.language);
i18n.on("languageChanged", markDocument);

/** setLanguage switches the studio's language now and remembers the pick. */
export function setLanguage(lng: Language) {
  try {
    localStorage.setItem(languageKey, lng);
  } catch {
    // a webview without storage still switches for this run
  }
  return i18n.changeLanguage(lng);
}

/**
 * followOsLocale switches to the language of the OS locale Go read (LANG
 * and LC_*), unless the user has picked one in the app: WebKitGTK's
 * navigator.language says en-US whatever the OS is set to. A locale the
 * studio does not ship changes nothing. Returns the language shown after.
 */
export async function followOsLocale(tag: string | undefined): Promise<Language> {
  const os = matchLanguage(tag);
  if (os && !savedLanguage() && os !== currentLanguage()) await i18n.changeLanguage(os);
  return currentLanguage();
}

/** currentLanguage is the language the studio shows now. */
export function currentLanguage(): Language {
  return matchLanguage(i18n.resolvedLanguage ?? i18n.language) ?? "en";
}

export default i18n;
