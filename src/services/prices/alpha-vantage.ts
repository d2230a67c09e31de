/**
 * The quote provider's format: Alpha Vantage's GLOBAL_QUOTE, one ticker per request -
 * `GET {url}?function=GLOBAL_QUOTE&symbol=IBM&apikey=...` answering
 * `{"Global Quote": {"01. symbol": "IBM", "05. price": "123.4500", "07. latest trading day": "2026-01-02", ...}}`.
 * Prices arrive as decimal strings and stay strings. A throttled or refused request still answers 200, with
 * a "Note", "Information" or "Error Message" instead of the quote.
 */
import { z } from "zod";
import { DECIMAL_PATTERN } from "../money/decimal";

export interface Quote {
  symbol: string;
  price: string;
}

const GlobalQuote = z.object({
  "Global Quote": z.object({
    "01. symbol": z.string().min(1).max(40),
    "05. price": z
      .string()
      .regex(DECIMAL_PATTERN)
      .refine((price) => !/^0(\.0+)?$/.test(price)),
  }),
});

/** The quote in a response body, or why there is none. */
export function parseGlobalQuote(body: unknown): Quote | { error: string } {
  const parsed = GlobalQuote.safeParse(body);
  if (parsed.success) {
    const quote = parsed.data["Global Quote"];
    return { symbol: quote["01. symbol"], price: quote["05. price"] };
  }
  const notice = body as Record<string, unknown> | null;
  for (const field of ["Error Message", "Note", "Information"]) {
    const text = notice?.[field];
    if (typeof text === "string") return { error: `${field}: ${text.slice(0, 200)}` };
  }
  return { error: "no usable quote in the response" };
}

/** Asks the provider for one ticker's quote. */
export async function fetchQuote(
  settings: { url: string; apiKey: string; timeoutMs?: number },
  symbol: string,
  fetcher: typeof fetch = fetch,
): Promise<Quote | { error: string }> {
  const url = new URL(settings.url);
  url.searchParams.set("function", "GLOBAL_QUOTE");
  url.searchParams.set("symbol", symbol);
  url.searchParams.set("apikey", settings.apiKey);
  const response = await fetcher(url, { signal: AbortSignal.timeout(settings.timeoutMs ?? 10_000) });
  if (!response.ok) return { error: `the provider answered ${response.status}` };
  const body = await response.json().catch(() => null);
  return parseGlobalQuote(body);
}
