/** Runs in Node before the unit suites: they read the trained models' files, and need no database. */
import type { TestProject } from "vitest/node";
import { provideModelArtefacts } from "./model-artefacts";

export default async function setup(project: TestProject) {
  await provideModelArtefacts(project);
}
