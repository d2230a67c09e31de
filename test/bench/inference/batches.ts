/**
 * How both runtimes walk the same rows: `total` rows in batches of `batch`, each batch the next rows of
 * `rows` (wrapping around), so consecutive runs never score the same input.
 */
export async function runRows(
  rows: number[][],
  total: number,
  batch: number,
  run: (batch: number[][]) => Promise<Float32Array>,
): Promise<{ batches: number; checksum: number }> {
  let batches = 0;
  let checksum = 0;
  for (let done = 0; done < total; done += batch) {
    const size = Math.min(batch, total - done);
    const start = done % rows.length;
    const picked = rows.slice(start, start + size);
    while (picked.length < size) picked.push(...rows.slice(0, size - picked.length));
    const output = await run(picked);
    for (const value of output) checksum += value;
    batches++;
  }
  return { batches, checksum };
}
