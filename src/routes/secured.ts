import { authenticate } from "../middleware/authenticate";
import { type AuthorizeOptions, authorize } from "../middleware/authorize";
import { afterValidation } from "../openapi";
import type { Permission } from "../services/tenancy/permissions";

/**
 * The security part of a tenant-scoped route contract: authentication (an access token or an API key),
 * the permission check - a key whose scopes or confinement do not reach the permission is a valid
 * credential without the right, so it answers 403, not 401 (RFC 6750 s3.1) - the OpenAPI security requirement, and `x-permission`, from which
 * the documented permission matrix is generated and against which it is tested.
 */
export function secured(permission: Permission, options: AuthorizeOptions = {}) {
  return {
    middleware: [
      authenticate({ apiKeys: true, tenantQuota: true, atEdge: options.atEdge !== undefined }),
      afterValidation(authorize(permission, options)),
    ],
    security: [{ bearerAuth: [] }],
    "x-permission": permission,
  };
}
