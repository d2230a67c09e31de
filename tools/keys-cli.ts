/**
 * Signing-key tooling for operators.
 *   npm run keys:generate              prints a new key set (current + previous) for JWT_SIGNING_KEYS
 *   npm run keys:rotate < keys.json    prints the set with a new current key; the old current becomes the
 *                                      previous one (still verifying tokens until they expire) and older
 *                                      keys are dropped
 * The output is private key material: pipe it to `wrangler secret put`, never to a shared place.
 */
import { generateSigningKey, loadSigningKeys } from "../src/services/auth/keys";
import { generateSigningKeySet } from "./signing-keys";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const command = process.argv[2];
if (command === "generate") {
  process.stdout.write(`${await generateSigningKeySet(2)}\n`);
} else if (command === "rotate") {
  const current = (await readStdin()).trim();
  await loadSigningKeys(current); // refuses a malformed set before anything is printed
  const [newest] = JSON.parse(current) as unknown[];
  const rotated = JSON.stringify([await generateSigningKey(), newest]);
  await loadSigningKeys(rotated);
  process.stdout.write(`${rotated}\n`);
} else {
  console.error("usage: keys-cli.ts generate | rotate < current-keys.json");
  process.exit(2);
}
