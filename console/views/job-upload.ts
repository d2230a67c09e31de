import type { FinEdgeClient } from "../../client/src/index.js";
import { announce, type errorArea, field, h, onSubmit } from "../dom.js";

/**
 * A file of applications to score: sent with the client's bulk upload, its bytes counted into a `<progress>`;
 * `submitted` is told when the API has accepted the job.
 */
export async function uploadForm(
  client: FinEdgeClient,
  errors: ReturnType<typeof errorArea>,
  submitted: () => Promise<void>,
): Promise<HTMLFormElement> {
  const models = await client.api.GET("/api/v1/models");
  const model = h("select", { name: "model" });
  for (const item of models.data?.items ?? [])
    if (item.active_version) model.append(h("option", { value: item.name }, item.name));
  const file = h("input", { type: "file", name: "file", accept: ".csv,.ndjson,.jsonl", required: true });
  const sent = h("progress", { max: "1", value: "0", "aria-label": "Upload progress" });
  const form = h(
    "form",
    { "aria-label": "Score a file" },
    h("h2", {}, "Score a file"),
    field("File of applications (CSV or NDJSON)", file),
    field("Model", model),
    h("p", {}, sent),
    h("button", { type: "submit" }, "Upload"),
  );
  onSubmit(form, errors, async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    sent.value = 0;
    const { job } = await client.bulk.upload({
      body: chosen,
      contentType: /\.(ndjson|jsonl)$/i.test(chosen.name) ? "application/x-ndjson" : "text/csv",
      model: model.value,
      onProgress: ({ sent: bytes, total }) => {
        if (total) sent.value = bytes / total;
      },
    });
    sent.value = 1;
    form.reset();
    announce(`File uploaded: job ${job.id.slice(0, 8)} is ${job.status}.`);
    await submitted();
  });
  return form;
}
