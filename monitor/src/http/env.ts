import type { Deps } from '../deps.ts';
import type { AdminPrincipal, DevicePrincipal } from './auth.ts';

export interface AppEnv {
  Variables: {
    deps: Deps;
    requestId: string;
    admin: AdminPrincipal;
    device: DevicePrincipal;
    /** The audit row written before this change (`http/audit.ts`), completed with the answer's status. */
    auditSeq: number;
  };
}
