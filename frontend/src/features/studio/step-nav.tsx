import { Check, Lock } from "lucide-react";
import type { KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { cn } from "@/lib/utils";
import type { StepId, StepState } from "./steps";

/**
 * StepNav lists the steps in order with where the user is (aria-current
 * "step") and, in words, what is done, what is left and why a step is
 * locked. Each step is a button: Tab reaches the list, Enter or Space
 * opens a step, the arrow keys, Home and End move between steps.
 */
export function StepNav({ steps, current, onSelect }: { steps: StepState[]; current: StepId; onSelect: (id: StepId) => void }) {
  const { t } = useTranslation("studio");
  const onKeyDown = (e: KeyboardEvent<HTMLOListElement>) => {
    const buttons = [...e.currentTarget.querySelectorAll<HTMLButtonElement>("button[data-step]")];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    const to = { ArrowDown: i + 1, ArrowRight: i + 1, ArrowUp: i - 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    buttons[Math.max(0, Math.min(buttons.length - 1, to))].focus();
  };
  return (
    <nav aria-label={t("nav")}>
      <ol className="space-y-1" onKeyDown={onKeyDown}>
        {steps.map((s, i) => {
          const here = s.id === current;
          const status = here ? t("status.current") : t(`status.${s.status}`);
          return (
            <li key={s.id}>
              <button
                type="button"
                data-step={s.id}
                data-status={s.status}
                aria-current={here ? "step" : undefined}
                onClick={() => onSelect(s.id)}
                className={cn(
                  "flex w-full items-start gap-3 rounded-md px-3 py-2 text-left text-sm transition-colors hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                  here && "bg-accent",
                )}
              >
                <span
                  aria-hidden
                  className={cn(
                    "mt-0.5 flex h-6 w-6 shrink-0 items-center justify-center rounded-full border text-xs font-semibold",
                    s.status === "done" && "border-emerald-600 bg-emerald-600 text-white",
                    here && s.status !== "done" && "border-primary bg-primary text-primary-foreground",
                  )}
                >
                  {s.status === "done" ? <Check className="h-3.5 w-3.5" /> : s.status === "locked" ? <Lock className="h-3 w-3" /> : i + 1}
                </span>
                <span className="min-w-0">
                  <span className="block font-medium">{t(`steps.${s.id}.name`)}</span>
                  <span className={cn("block text-xs", s.status === "locked" ? "text-muted-foreground" : here ? "text-foreground" : "text-muted-foreground")}>
                    {status}
                    {s.status === "locked" && !here && (
                      <span className="block">{t(s.reason, s.values ?? {})}</span>
                    )}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
