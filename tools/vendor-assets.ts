/**
 * Puts the pinned third-party files the Worker serves as static assets into public/ (git-ignored there): each is
 * taken from its npm package - `npm pack` fetches the tarball through npm's cache and checks it against the
 * registry's integrity - and is written only if its own sha384 is the one pinned here, the same value the page
 * names in its `integrity` attribute. Runs on `npm ci`/`npm install` (the `prepare` script), so a clean clone
 * has them before `npm run dev`, the tests or a deploy; a file already in place with the right hash is kept.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { VENDORED } from "../src/routes/docs/vendored";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const sha384 = (bytes: Buffer) => `sha384-${createHash("sha384").update(bytes).digest("base64")}`;

for (const file of VENDORED) {
  const target = join(root, "public", file.path);
  if (existsSync(target) && sha384(readFileSync(target)) === file.integrity) continue;
  const work = mkdtempSync(join(tmpdir(), "finedge-vendor-"));
  try {
    const windows = process.platform === "win32";
    const packed = execFileSync(
      windows ? "npm.cmd" : "npm",
      ["pack", `${file.package}@${file.version}`, "--pack-destination", work, "--silent"],
      { encoding: "utf8", shell: windows },
    )
      .trim()
      .split("\n")
      .at(-1) as string;
    execFileSync("tar", ["-xzf", join(work, packed), "-C", work, `package/${file.from}`]);
    const bytes = readFileSync(join(work, "package", file.from));
    const found = sha384(bytes);
    if (found !== file.integrity) {
      throw new Error(`${file.package}@${file.version} ${file.from}: ${found}, pinned ${file.integrity}`);
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
    console.log(`vendored ${file.package}@${file.version} as public/${file.path}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
