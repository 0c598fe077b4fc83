import React from "react";
import { createRoot } from "react-dom/client";
import TelemetryConsent from "./components/TelemetryConsent";
import TelemetryAnalyticsDashboard from "./components/TelemetryAnalyticsDashboard";

createRoot(document.getElementById("root")!).render(
  <React.StrictMode>
    <section id="consent"><TelemetryConsent /></section>
    <section id="dashboard"><TelemetryAnalyticsDashboard /></section>
  </React.StrictMode>
);
