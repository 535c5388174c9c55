import { useEffect, useState } from "react";
import { updateStatusSchema, type Api, type UpdateStatus } from "@/lib/api";

/** EVENT_UPDATE_STATUS is what Go emits after its startup check (app.EventUpdateStatus). */
export const EVENT_UPDATE_STATUS = "update:status";

/** useUpdateStatus reads what the last update check found, and follows the startup check's event. */
export function useUpdateStatus(api: Api) {
  const [status, setStatus] = useState<UpdateStatus | null>(null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    api.updateStatus().then(
      (s) => live && setStatus(s),
      (e: Error) => live && setError(e.message),
    );
    const off = api.onEvent(EVENT_UPDATE_STATUS, (d: unknown) => {
      const s = updateStatusSchema.safeParse(d);
      if (s.success) setStatus(s.data);
    });
    return () => {
      live = false;
      off();
    };
  }, [api]);
  const run = (p: Promise<unknown>) =>
    p.then(
      (s) => {
        setError(undefined);
        const parsed = updateStatusSchema.safeParse(s);
        if (parsed.success) setStatus(parsed.data);
      },
      (e: Error) => setError(e.message),
    );
  return {
    status,
    error,
    /** download opens the verified release's page in the browser; nothing is downloaded by the app. */
    download: () => run(api.openUpdatePage()),
    dismiss: (version: string) => run(api.dismissUpdate(version)),
  };
}
