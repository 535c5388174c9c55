// Every word the studio shows goes through t(): this test reads each .tsx
// file under src/ with the TypeScript compiler and fails on text written
// inline, naming the file, line and text.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const srcDir = path.resolve(__dirname, "..", "..");

function tsxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "test" || e.name === "locales" ? [] : tsxFiles(p);
    return e.name.endsWith(".tsx") && !e.name.endsWith(".test.tsx") ? [p] : [];
  });
}

/** Calls whose string arguments are keys or class names, never shown as they are. */
const quietCalls = new Set(["t", "cn", "cva", "clsx", "twMerge", "useTranslation", "onEvent", "getItem", "setItem", "querySelectorAll", "querySelector", "exists"]);
/** Props whose value is never read by a person. */
const quietProps = /^(className|data-[\w-]+|id|type|role|href|src|pattern|key|autoComplete|htmlFor|variant|size|lang|aria-live|aria-hidden|aria-current|aria-describedby|aria-labelledby|i18nKey|ns|inputMode|name|value|method|step|tone)$/;
/** Props whose value a person reads or hears. */
const spokenProps = /^(aria-label|aria-description|aria-valuetext|title|placeholder|alt|label|description)$/;
/** Words that are Tailwind classes by themselves. */
const classWords = new Set(["flex", "grid", "block", "hidden", "truncate", "relative", "absolute", "fixed", "border", "rounded", "shadow", "underline", "italic", "uppercase", "peer", "group", "invisible", "static", "sticky", "contents", "grow", "shrink", "transition", "dark"]);

const hasLetters = (s: string) => /\p{L}/u.test(s);
const classLike = (s: string) => s.trim().split(/\s+/).every((w) => /[-:[\]/]/.test(w) || classWords.has(w));
/** prose is text a person reads: a word of two letters or more that is not a class name, with a space or a capital. */
const prose = (s: string) => /\p{L}{2,}/u.test(s) && !classLike(s) && (/\s/.test(s.trim()) || /^\p{Lu}\p{Ll}/u.test(s));

function calleeName(call: ts.CallExpression | ts.NewExpression): string {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return "";
}

/** quiet says whether a string literal sits where it is a key, a class or code, not words. */
function quiet(node: ts.Node): boolean {
  for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
    if (ts.isCallExpression(p) || ts.isNewExpression(p)) {
      if (quietCalls.has(calleeName(p))) return true;
    }
    if (ts.isJsxAttribute(p)) return quietProps.test(p.name.getText());
    if (ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isLiteralTypeNode(p)) return true;
    if (ts.isBinaryExpression(p) && [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(p.operatorToken.kind)) return true;
    if (ts.isCaseClause(p)) return true;
    if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.left.getText().endsWith(".displayName")) return true;
    if (ts.isElementAccessExpression(p) && p.argumentExpression === node) return true;
    if (ts.isPropertyAssignment(p) && p.name === node) return true;
  }
  return false;
}

type Finding = { file: string; line: number; text: string };

export function inlineText(file: string, source = readFileSync(file, "utf8")): Finding[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: Finding[] = [];
  const add = (n: ts.Node, text: string) =>
    found.push({ file: path.relative(srcDir, file), line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1, text: text.trim() });
  const visit = (n: ts.Node) => {
    if (ts.isJsxText(n) && hasLetters(n.text)) add(n, n.text);
    else if (ts.isJsxAttribute(n) && spokenProps.test(n.name.getText()) && n.initializer && ts.isStringLiteral(n.initializer) && hasLetters(n.initializer.text)) add(n, `${n.name.getText()}="${n.initializer.text}"`);
    else if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && !ts.isJsxAttribute(n.parent) && prose(n.text) && !quiet(n)) add(n, n.text);
    else if (ts.isTemplateExpression(n) && !quiet(n)) {
      const parts = [n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join(" ");
      if (prose(parts)) add(n, n.getText());
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe("no inline text", () => {
  it("finds the kinds of inline text it is meant to find (and passes what it must)", () => {
    const found = inlineText(
      "x.tsx",
      `const a = <p>Hello there</p>;
       const b = <input aria-label="Email" placeholder={t("p")} className="flex h-9 px-2" />;
       const c = <p>{busy ? "Saving…" : t("saved")}</p>;
       const d = <p title={\`Remove \${name}\`}>{t(ok ? "a.b" : "c.d")}</p>;
       const e = <Progress label="Upload progress" value={1} />;
       const f = <div className={cn("text-amber-700 dark:text-amber-400", x === "error" && "border")}>{" "}{n} · {"%"}</div>;
       setError("The download stopped.");`,
    ).map((f) => f.text);
    expect(found).toEqual(["Hello there", 'aria-label="Email"', "Saving…", "`Remove ${name}`", 'label="Upload progress"', "The download stopped."]);
  });

  it("finds none in the studio's components", () => {
    const found = tsxFiles(srcDir).flatMap((f) => inlineText(f));
    if (process.env.DUMP_INLINE) console.log(found.map((f) => `${f.file}:${f.line}: ${f.text}`).join("\n"));
    expect(found.map((f) => `${f.file}:${f.line}: ${f.text}`)).toEqual([]);
  });
});
