import { useTranslation } from "react-i18next";

/**
 * Formatters for what the studio shows, in the conventions of its language
 * (Intl): "1,234.5" and "30 Nov 2026, 09:00" in English, "1.234,5" and
 * "30 de nov. de 2026, 09:00" in Brazilian Portuguese.
 */
export function formatNumber(lng: string, n: number, digits?: { min?: number; max?: number }): string {
  return new Intl.NumberFormat(lng, {
    minimumFractionDigits: digits?.min,
    maximumFractionDigits: digits?.max ?? digits?.min,
  }).format(n);
}

/** formatPercent formats a fraction (0.42) as a whole percentage ("42%"). */
export function formatPercent(lng: string, fraction: number): string {
  return new Intl.NumberFormat(lng, { style: "percent", maximumFractionDigits: 0 }).format(fraction);
}

/** formatDateTime formats an instant (an ISO 8601 string or a Date) with date and time; "" for an invalid one. */
export function formatDateTime(lng: string, when: string | Date): string {
  const d = typeof when === "string" ? new Date(when) : when;
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(lng, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/** formatTime formats an instant's time of day ("9:05 AM", "09:05"); "" for an invalid one. */
export function formatTime(lng: string, when: string | Date): string {
  const d = typeof when === "string" ? new Date(when) : when;
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(lng, { timeStyle: "short" }).format(d);
}

const byteUnits = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"] as const;

/**
 * formatBytes formats a size in decimal units (1 kB = 1000 bytes, as file
 * managers show them): "512 bytes", "3.4 MB"; one decimal from kB up.
 */
export function formatBytes(lng: string, bytes: number): string {
  let i = 0;
  let v = Math.max(0, bytes);
  while (v >= 1000 && i < byteUnits.length - 1) {
    v /= 1000;
    i++;
  }
  return new Intl.NumberFormat(lng, {
    style: "unit",
    unit: byteUnits[i],
    unitDisplay: i === 0 ? "long" : "short",
    maximumFractionDigits: i === 0 ? 0 : 1,
    minimumFractionDigits: i === 0 ? 0 : 1,
  }).format(v);
}

/** useFormat gives the formatters bound to the studio's current language. */
export function useFormat() {
  const { i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? i18n.language;
  return {
    number: (n: number, digits?: { min?: number; max?: number }) => formatNumber(lng, n, digits),
    percent: (f: number) => formatPercent(lng, f),
    dateTime: (w: string | Date) => formatDateTime(lng, w),
    bytes: (b: number) => formatBytes(lng, b),
  };
}
