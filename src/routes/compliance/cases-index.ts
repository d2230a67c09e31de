import { createRouter } from "../../openapi";
import * as alertHandlers from "./alerts.handlers";
import * as alertRoutes from "./alerts.routes";
import * as caseHandlers from "./cases.handlers";
import * as caseRoutes from "./cases.routes";
import * as reportHandlers from "./reports.handlers";
import * as reportRoutes from "./reports.routes";
import * as sarHandlers from "./sars.handlers";
import * as sarRoutes from "./sars.routes";

/**
 * /api/v1/compliance: alerts, cases (notes, attachments), their SARs, reports and the compliance audit trail;
 * /api/v1/security/report-fraud: members' reports of suspected fraud
 */
export const complianceCaseRoutes = createRouter()
  .openapi(alertRoutes.listAlerts, alertHandlers.listAlerts)
  .openapi(alertRoutes.getAlert, alertHandlers.getAlert)
  .openapi(caseRoutes.createCase, caseHandlers.createCase)
  .openapi(caseRoutes.listCases, caseHandlers.listCases)
  .openapi(caseRoutes.getCase, caseHandlers.getCase)
  .openapi(caseRoutes.updateCase, caseHandlers.updateCase)
  .openapi(caseRoutes.addCaseAlerts, caseHandlers.addCaseAlerts)
  .openapi(caseRoutes.addCaseNote, caseHandlers.addCaseNote)
  .openapi(caseRoutes.addCaseAttachment, caseHandlers.addCaseAttachment)
  .openapi(caseRoutes.listCaseAttachments, caseHandlers.listCaseAttachments)
  .openapi(caseRoutes.getCaseAttachment, caseHandlers.getCaseAttachment)
  .openapi(sarRoutes.draftSar, sarHandlers.draftSar)
  .openapi(sarRoutes.getSar, sarHandlers.getSar)
  .openapi(sarRoutes.updateSar, sarHandlers.updateSar)
  .openapi(sarRoutes.approveSar, sarHandlers.approveSar)
  .openapi(sarRoutes.fileSar, sarHandlers.fileSar)
  .openapi(sarRoutes.exportSar, sarHandlers.exportSar)
  .openapi(reportRoutes.complianceReport, reportHandlers.complianceReport)
  .openapi(reportRoutes.complianceAuditLog, reportHandlers.complianceAuditLog)
  .openapi(reportRoutes.reportFraud, reportHandlers.reportFraud);
