import { createRouter } from "../../openapi";
import * as analyticsHandlers from "./analytics.handlers";
import * as analytics from "./analytics.routes";
import * as portfolioHandlers from "./portfolios.handlers";
import * as portfolios from "./portfolios.routes";
import * as transactionHandlers from "./transactions.handlers";
import * as transactions from "./transactions.routes";

/** /api/v1/portfolios: portfolios, their transactions and ledger, holdings and performance */
export const portfolioRoutes = createRouter()
  .openapi(portfolios.listPortfolios, portfolioHandlers.listPortfolios)
  .openapi(portfolios.createPortfolio, portfolioHandlers.createPortfolio)
  .openapi(portfolios.getPortfolio, portfolioHandlers.getPortfolio)
  .openapi(portfolios.updatePortfolio, portfolioHandlers.updatePortfolio)
  .openapi(portfolios.deletePortfolio, portfolioHandlers.deletePortfolio)
  .openapi(transactions.createTransaction, transactionHandlers.createTransaction)
  .openapi(transactions.listTransactions, transactionHandlers.listTransactions)
  .openapi(transactions.getTransaction, transactionHandlers.getTransaction)
  .openapi(transactions.settleTransaction, transactionHandlers.settleTransaction)
  .openapi(transactions.cancelTransaction, transactionHandlers.cancelTransaction)
  .openapi(transactions.reverseTransaction, transactionHandlers.reverseTransaction)
  .openapi(transactions.approveTransaction, transactionHandlers.approveTransaction)
  .openapi(transactions.rejectTransaction, transactionHandlers.rejectTransaction)
  .openapi(transactions.buy, transactionHandlers.buy)
  .openapi(transactions.sell, transactionHandlers.sell)
  .openapi(analytics.getHoldings, analyticsHandlers.getHoldings)
  .openapi(analytics.getPerformance, analyticsHandlers.getPerformance)
  .openapi(analytics.getLedger, analyticsHandlers.getLedger)
  .openapi(analytics.getLedgerAccounts, analyticsHandlers.getLedgerAccounts);
