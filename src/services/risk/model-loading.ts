/**
 * Loading a model version for scoring: the inference runtime is imported here, lazily, so routes that do
 * not score never start it; a version whose files fail their checks is refused, loudly.
 */
import { AppError } from "../../errors";
import { log } from "../../logger";
import type { LoadedModel } from "../../ml/engine";
import type { RiskServices } from "../context";
import type { ResolvedModel } from "./model-registry";

/** The engine module, imported on first use only. */
export const engine = () => import("../../ml/engine");

/** A model version whose files are missing, altered or unloadable: never served. */
export class UnservableModel extends AppError {
  constructor(
    readonly model: string,
    readonly reason: "missing" | "integrity" | "invalid",
  ) {
    super(
      "service_unavailable",
      reason === "integrity"
        ? `Model ${model} failed its integrity check (its files do not match their sha256) and is not served.`
        : `Model ${model} cannot be served right now.`,
    );
  }
}

/** Loads and verifies a resolved version; a failure is logged in full and thrown as UnservableModel (503). */
export async function loadVerified(deps: RiskServices, resolved: ResolvedModel): Promise<LoadedModel> {
  const { loadModel, ModelUnavailableError } = await engine();
  const { name, version } = resolved.located.ref;
  return loadModel(deps.models, resolved.located).catch((error: unknown) => {
    if (!(error instanceof ModelUnavailableError)) throw error;
    log(deps.config.LOG_LEVEL, "error", {
      msg: "model unavailable",
      model: name,
      version,
      reason: error.message,
    });
    throw new UnservableModel(`${name} ${version}`, error.reason);
  });
}
