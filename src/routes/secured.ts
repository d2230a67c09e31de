import { authenticate } from "../middleware/authenticate";
import { type AuthorizeOptions, authorize } from "../middleware/authorize";
import { PERMISSIONS, type Permission } from "../services/tenancy/permissions";

/**
 * The security part of a tenant-scoped route contract: authentication (API keys only where the permission
 * has a scope), the permission check, the OpenAPI security requirement, and `x-permission`, from which
 * the documented permission matrix is generated and against which it is tested.
 */
export function secured(permission: Permission, options: AuthorizeOptions = {}) {
  return {
    middleware: [
      authenticate({ apiKeys: "scope" in PERMISSIONS[permission] }),
      authorize(permission, options),
    ],
    security: [{ bearerAuth: [] }],
    "x-permission": permission,
  };
}
