import { type components, ok } from "../../client/src/index.js";
import type { Context } from "../context.js";
import { announce, button, errorArea, h, table } from "../dom.js";
import { uploadForm } from "./job-upload.js";

type Job = components["schemas"]["ScoringJob"];
const RUNNING = new Set(["queued", "running"]);

/** Bulk scoring jobs with live progress (polled while any runs) and their results to download. */
export async function renderJobs(root: HTMLElement, { client }: Context): Promise<void> {
  const errors = errorArea();
  const list = h("div");
  let polling = false;
  root.append(errors.element, await uploadForm(client, errors, () => poll()), list);
  const seen = new Map<string, string>();

  const download = async (job: Job) => {
    const blob = await ok(
      client.api.GET("/api/v1/jobs/{id}/results", {
        params: { path: { id: job.id }, query: { format: "csv" } },
        parseAs: "blob",
      }),
    );
    const url = URL.createObjectURL(blob as Blob);
    const link = h("a", { href: url, download: `job-${job.id}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    announce(`Results of job ${job.id.slice(0, 8)} downloaded.`);
  };

  const row = (job: Job) => {
    const { rows_total, rows_scored, rows_failed } = job.progress;
    const done = rows_scored + rows_failed;
    const label = `Job ${job.id.slice(0, 8)}`;
    const bar = h("progress", { max: String(rows_total ?? 1), "aria-label": `${label} progress` });
    if (rows_total !== null) bar.value = done;
    else if (!RUNNING.has(job.status)) bar.value = 1;
    const finished = !RUNNING.has(job.status) && job.status !== "cancelled" && job.status !== "failed";
    return [
      h("code", {}, job.id.slice(0, 8)),
      `${job.model.name} ${job.model.version}`,
      h("span", { class: `status status-${job.status}`, "data-job": job.id }, job.status),
      h("span", { class: "progress" }, bar, ` ${done} / ${rows_total ?? "?"} rows`),
      finished
        ? button("Download results", () => download(job), errors, {
            "aria-label": `Download results of ${label}`,
          })
        : "",
    ];
  };

  const draw = async (): Promise<boolean> => {
    const page = await ok(client.api.GET("/api/v1/jobs", { params: { query: { limit: 20 } } }));
    for (const job of page.items) {
      const before = seen.get(job.id);
      if (before && before !== job.status) announce(`Job ${job.id.slice(0, 8)} is ${job.status}.`);
      seen.set(job.id, job.status);
    }
    const focused = document.activeElement?.getAttribute("aria-label");
    list.replaceChildren(
      table("Recent jobs", ["Job", "Model", "Status", "Progress", "Results"], page.items.map(row)),
    );
    // Redrawing must not drop the keyboard user's place.
    if (focused) list.querySelector<HTMLElement>(`[aria-label="${CSS.escape(focused)}"]`)?.focus();
    return page.items.some((job) => RUNNING.has(job.status));
  };

  // One poll loop at a time, every second while a job runs, ending when the view is left.
  async function poll(): Promise<void> {
    if (!root.isConnected || polling) return;
    polling = true;
    try {
      const running = await draw();
      polling = false;
      if (running) setTimeout(poll, 1000);
    } catch (error) {
      polling = false;
      errors.show(error);
    }
  }
  await poll();
}
