import { ok } from "../../client/src/index.js";
import { barChart } from "../chart.js";
import type { Context } from "../context.js";
import { errorArea, field, h, table } from "../dom.js";

/** A portfolio's holdings and its performance (returns and P&L), drawn as an SVG chart. */
export async function renderPortfolios(root: HTMLElement, { client }: Context): Promise<void> {
  const errors = errorArea();
  const detail = h("div", { "aria-live": "polite" });
  const { items } = await ok(client.api.GET("/api/v1/portfolios", { params: { query: { limit: 100 } } }));
  if (items.length === 0) {
    root.append(h("p", {}, "This tenant has no portfolios yet."));
    return;
  }
  const choice = h("select", { name: "portfolio" });
  for (const portfolio of items) choice.append(h("option", { value: portfolio.id }, portfolio.name));
  root.append(errors.element, field("Portfolio", choice), detail);

  const show = async () => {
    errors.clear();
    const path = { params: { path: { id: choice.value } } };
    const [holdings, performance] = await Promise.all([
      ok(client.api.GET("/api/v1/portfolios/{id}/holdings", path)),
      ok(client.api.GET("/api/v1/portfolios/{id}/performance", path)),
    ]);
    const positions = table(
      `Holdings (${holdings.currency})`,
      ["Symbol", "Quantity", "Average cost", "Price", "Market value", "Unrealized P&L", "Weight"],
      [
        ...holdings.positions.map((p) => [
          p.symbol,
          p.quantity,
          p.average_cost ?? "-",
          p.price ?? "-",
          p.market_value ?? "-",
          p.unrealized_pnl ?? "-",
          p.weight,
        ]),
        ["Cash", "", "", "", holdings.cash.balance, "", holdings.cash.weight],
      ],
    );
    const figures = [
      { label: "Start value", value: Number(performance.start_value) },
      { label: "Deposits", value: Number(performance.deposits) },
      { label: "Withdrawals", value: -Number(performance.withdrawals) },
      { label: "Realized P&L", value: Number(performance.realized_pnl) },
      { label: "Unrealized P&L", value: Number(performance.unrealized_pnl) },
      { label: "Dividends", value: Number(performance.dividends) },
      { label: "Fees", value: -Number(performance.fees) },
      { label: "End value", value: Number(performance.end_value) },
    ];
    const returns = h(
      "p",
      {},
      `Time-weighted return ${(Number(performance.time_weighted_return) * 100).toFixed(2)}%, ` +
        `money-weighted ${(Number(performance.money_weighted_return) * 100).toFixed(2)}% a year ` +
        `(${performance.from} to ${performance.to}).`,
    );
    detail.replaceChildren(
      h("p", {}, `Total value ${holdings.total_value} ${holdings.currency}.`),
      positions,
      h(
        "figure",
        {},
        barChart(`Performance ${performance.from} to ${performance.to}`, figures),
        h(
          "figcaption",
          {},
          `Performance in ${performance.currency}, ${performance.from} to ${performance.to}.`,
        ),
      ),
      returns,
    );
  };
  choice.addEventListener("change", () => show().catch((error: unknown) => errors.show(error)));
  await show();
}
