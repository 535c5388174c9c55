import React from "react";
import ReactDOM from "react-dom/client";
import "./index.css";
import "@/lib/i18n";
import { StudioShell } from "@/features/studio/studio-shell";

ReactDOM.createRoot(document.getElementById("root")!).render(
  <React.StrictMode>
    <StudioShell />
  </React.StrictMode>,
);
