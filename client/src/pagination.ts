/** A page of any list of the API. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * Every item of a list, page after page: `fetchPage` is given each page's cursor (undefined for the first)
 * and calls the list with it. Pages are keyset pages, so rows added meanwhile neither shift nor repeat.
 *
 * `for await (const p of paginate((cursor) => api.GET("/api/v1/portfolios", { params: { query: { cursor } } })))`
 */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data?: Page<T> | undefined }>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const { data } = await fetchPage(cursor);
    if (!data) throw new Error("paginate: a list answered without a body");
    yield* data.items;
    cursor = data.next_cursor ?? undefined;
  } while (cursor !== undefined);
}

/**
 * The data of a call, which the client's errors guarantee: an error answer is thrown as a FinEdgeProblem,
 * so what returns is the success. `const me = await ok(api.GET("/api/v1/auth/me"))`.
 */
export async function ok<R extends { data?: unknown; response: Response }>(
  call: Promise<R>,
): Promise<NonNullable<R["data"]>> {
  const { data, response } = await call;
  if (data === undefined || data === null) {
    throw new Error(`${response.status} answer without a body where one was expected`);
  }
  return data as NonNullable<R["data"]>;
}
