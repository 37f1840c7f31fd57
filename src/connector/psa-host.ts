import { z } from 'zod';
import { psaUrlProblem } from '../net/address-policy.js';

/**
 * The zod refinement for every URL setting of a connector (ConnectWise `site`, HaloPSA `baseUrl`
 * and `authUrl`, any API or discovery URL): refuses link-local and cloud metadata hosts, while
 * private and loopback ones stay allowed (on-premises PSAs, tests, the demo PSA). The issue is
 * reported under the setting's own name. Names that resolve to such addresses are refused when
 * psa-sync connects: PsaHttp's agents check every address under the same policy (`PSA_HOSTS`).
 */
export function refusePsaHost(value: string, ctx: z.RefinementCtx): void {
  const problem = psaUrlProblem(value);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
}
