import { describe, expect, it } from "vitest";
import { resources } from "./index";

/** keysOf lists an object's leaf keys as dotted paths. */
function keysOf(o: object, prefix = ""): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === "object" ? keysOf(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

// The placeholders a string interpolates ({{count}}) and the tags it wraps (<1>…</1>).
const slots = (s: string) => [...s.matchAll(/\{\{\s*(\w+)[^}]*\}\}|<(\w+)>/g)].map((m) => m[1] ?? `<${m[2]}>`).sort();

describe("locales", () => {
  const en = resources.en as Record<string, object>;
  const pt = resources["pt-BR"] as Record<string, object>;

  it("has the same namespaces in each language", () => {
    expect(Object.keys(pt).sort()).toEqual(Object.keys(en).sort());
  });

  it.each(Object.keys(en))("%s: pt-BR has exactly the keys of en", (ns) => {
    expect(keysOf(pt[ns]).sort()).toEqual(keysOf(en[ns]).sort());
  });

  it.each(Object.keys(en))("%s: every pt-BR string is written and uses the same placeholders as en", (ns) => {
    const get = (o: object, path: string) => path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], o);
    for (const key of keysOf(en[ns])) {
      const e = get(en[ns], key) as string;
      const p = get(pt[ns], key) as string;
      expect(typeof p, `${ns}:${key}`).toBe("string");
      expect(p.trim(), `${ns}:${key} is empty`).not.toBe("");
      expect(slots(p), `${ns}:${key}`).toEqual(slots(e));
    }
  });
});
