/** The parts of a ConnectWise `Member` (GET /system/members) psa-sync reads. */
export interface CwMember {
  id: number;
  identifier: string;
  firstName?: string | null;
  lastName?: string | null;
  officeEmail?: string | null;
  inactiveFlag?: boolean;
  licenseClass?: 'F' | 'A' | 'C' | 'X' | string;
}

/** GET /login/companyinfo/{companyId}. */
export interface CwCompanyInfo {
  CompanyName?: string;
  Codebase?: string;
  CompanyID?: string;
  IsCloud?: string;
}

/** Validated `--config` settings of a ConnectWise account. */
export interface ConnectWiseSettings {
  site: string;
  companyId: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
  codebase?: string;
  apiVersion: string;
}
