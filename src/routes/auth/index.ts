import { createRouter } from "../../openapi";
import * as account from "./account.handlers";
import * as accountRoutes from "./account.routes";
import * as federated from "./federated.handlers";
import * as federatedRoutes from "./federated.routes";
import * as identityRoutes from "./identities.routes";
import * as recovery from "./recovery.handlers";
import * as recoveryRoutes from "./recovery.routes";
import * as session from "./session.handlers";
import * as sessionRoutes from "./session.routes";
import * as stepUp from "./step-up.handlers";
import * as stepUpRoutes from "./step-up.routes";
import * as twoFactor from "./two-factor.handlers";
import * as twoFactorRoutes from "./two-factor.routes";

/** Everything under /api/v1/auth. */
export const authRoutes = createRouter()
  .openapi(sessionRoutes.register, session.register)
  .openapi(sessionRoutes.login, session.loginWithPassword)
  .openapi(sessionRoutes.loginTotp, session.loginWithTotp)
  .openapi(sessionRoutes.loginBackupCode, session.loginWithBackupCode)
  .openapi(sessionRoutes.refresh, session.rotateRefreshToken)
  .openapi(sessionRoutes.logout, session.logout)
  .openapi(federatedRoutes.start, federated.start)
  .openapi(federatedRoutes.callback, federated.callback)
  .openapi(federatedRoutes.token, federated.token)
  .openapi(identityRoutes.listIdentities, federated.listOwnIdentities)
  .openapi(identityRoutes.unlinkIdentity, federated.unlinkOwnIdentity)
  .openapi(identityRoutes.linkStart, federated.linkStart)
  .openapi(accountRoutes.getMe, account.getMe)
  .openapi(accountRoutes.patchMe, account.patchMe)
  .openapi(accountRoutes.changePassword, account.changePassword)
  .openapi(accountRoutes.listSessions, account.listSessions)
  .openapi(accountRoutes.deleteSession, account.deleteSession)
  .openapi(accountRoutes.deleteOtherSessions, account.deleteOtherSessions)
  .openapi(accountRoutes.listSecurityEvents, account.listSecurityEvents)
  .openapi(accountRoutes.requestEmailVerification, account.requestEmailVerification)
  .openapi(recoveryRoutes.confirmEmail, recovery.confirmEmail)
  .openapi(recoveryRoutes.forgotPassword, recovery.forgotPassword)
  .openapi(recoveryRoutes.resetPassword, recovery.resetPassword)
  .openapi(recoveryRoutes.requestMagicLink, recovery.requestMagicLink)
  .openapi(recoveryRoutes.verifyMagicLink, recovery.verifyMagicLink)
  .openapi(twoFactorRoutes.enableTotp, twoFactor.enableTotp)
  .openapi(twoFactorRoutes.verifyTotp, twoFactor.verifyTotp)
  .openapi(twoFactorRoutes.disableTotp, twoFactor.disableTotp)
  .openapi(twoFactorRoutes.regenerateBackupCodes, twoFactor.regenerateBackupCodes)
  .openapi(stepUpRoutes.stepUp, stepUp.stepUp)
  .openapi(stepUpRoutes.requestEmailChange, stepUp.requestEmailChange)
  .openapi(stepUpRoutes.confirmEmailChange, stepUp.confirmEmailChange);
