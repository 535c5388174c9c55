import { useCallback, useEffect, useState } from "react";
import { progressSchema, type Api, type DatasetState, type Progress } from "@/lib/api";

export type Task = { kind: "import" | "validate"; progress: Progress } | null;

/**
 * useDataset keeps the dataset screen in step with Go: it loads the state,
 * follows the import and validation progress events, and reloads after
 * every action so what is shown is what Go stored. It also holds the
 * smallest short side the user asks the check for, which the upload's
 * server-side check uses too.
 */
export function useDataset(api: Api) {
  const [state, setState] = useState<DatasetState | null>(null);
  const [error, setError] = useState<string>();
  const [task, setTask] = useState<Task>(null);
  const [minRes, setMinRes] = useState(512);

  const reload = useCallback(async () => {
    try {
      setState(await api.dataset());
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api]);

  useEffect(() => {
    void reload();
    const follow = (kind: "import" | "validate") => (data: unknown) => {
      const p = progressSchema.safeParse(data);
      if (!p.success) return;
      if (p.data.done < p.data.total) {
        setTask({ kind, progress: p.data });
        return;
      }
      // The last file: the work may have been started by a drop rather than
      // a button, so nothing else would clear the bar and reload.
      setTask(null);
      void reload();
    };
    const offImport = api.onEvent("dataset:import", follow("import"));
    const offValidate = api.onEvent("dataset:validate", follow("validate"));
    return () => {
      offImport();
      offValidate();
    };
  }, [api, reload]);

  /** run wraps an action: errors are shown, the state reloaded either way. */
  const run = useCallback(
    async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
      setError(undefined);
      try {
        return await fn();
      } catch (e) {
        setError((e as Error).message);
        return undefined;
      } finally {
        setTask(null);
        await reload();
      }
    },
    [reload],
  );

  return { state, error, task, run, reload, minRes, setMinRes };
}

export type Dataset = ReturnType<typeof useDataset>;
