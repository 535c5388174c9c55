import { useCallback, useEffect, useState } from "react";
import { api as defaultApi, type Api, type BaseModelList, type Platform, type Selection } from "@/lib/api";

export type SelectionState =
  | { status: "loading" }
  | { status: "error"; message: string }
  | {
      status: "ready";
      platforms: Platform[];
      baseModels: BaseModelList;
      selection: Selection;
      saving: boolean;
      saveError?: string;
    };

/**
 * useSelection loads the two lists and the saved choice from Go, and saves a
 * change back. What it shows is what Go answered, never an optimistic guess.
 * reloadModels asks the server for the base models again (at start, and
 * when signing in or out changes who decides what can be trained).
 */
export function useSelection(api: Api = defaultApi) {
  const [state, setState] = useState<SelectionState>({ status: "loading" });

  const reloadModels = useCallback(async () => {
    try {
      const baseModels = await api.refreshBaseModels();
      setState((s) => (s.status === "ready" ? { ...s, baseModels } : s));
    } catch {
      // keep the list shown; the training panel says what the server refuses
    }
  }, [api]);

  useEffect(() => {
    let live = true;
    // The saved lists first, at once; then the server's, when it answers.
    Promise.all([api.targetPlatforms(), api.baseModels(), api.getSelection()])
      .then(([platforms, baseModels, selection]) => {
        if (!live) return;
        setState({ status: "ready", platforms, baseModels, selection, saving: false });
        void reloadModels();
      })
      .catch((err: Error) => {
        if (live) setState({ status: "error", message: err.message });
      });
    return () => {
      live = false;
    };
  }, [api, reloadModels]);

  const update = useCallback(
    async (patch: Partial<Selection>) => {
      if (state.status !== "ready") return;
      const next = { ...state.selection, ...patch };
      setState({ ...state, saving: true, saveError: undefined });
      try {
        const saved = await api.setSelection(next);
        setState((s) => (s.status === "ready" ? { ...s, selection: saved, saving: false } : s));
      } catch (err) {
        setState((s) => (s.status === "ready" ? { ...s, saving: false, saveError: (err as Error).message } : s));
      }
    },
    [api, state],
  );

  return { state, update, reloadModels };
}
