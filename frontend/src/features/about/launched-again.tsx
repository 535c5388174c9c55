import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Api } from "@/lib/api";

/** EVENT_LAUNCHED_AGAIN is what Go emits when LoRA Studio is started while it runs (app.EventLaunchedAgain). */
export const EVENT_LAUNCHED_AGAIN = "instance:second";

/** LaunchedAgain says, for a few seconds, that a second start only brought this window forward. */
export function LaunchedAgain({ api, showMs = 6000 }: { api: Api; showMs?: number }) {
  const { t } = useTranslation("about");
  const [shown, setShown] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = api.onEvent(EVENT_LAUNCHED_AGAIN, () => {
      setShown(true);
      clearTimeout(timer);
      timer = setTimeout(() => setShown(false), showMs);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [api, showMs]);
  if (!shown) return null;
  return (
    <p role="status" className="fixed bottom-4 right-4 z-40 rounded-md border bg-background px-4 py-2 text-sm shadow">
      {t("launchedAgain")}
    </p>
  );
}
