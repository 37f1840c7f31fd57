/** A ConnectWise reference inside a record (`type`, `defaultDepartment`, `workRole`, …). */
export interface CwReference {
  id?: number;
  name?: string | null;
  identifier?: string | null;
}

/** The parts of a ConnectWise `Member` (GET /system/members) psa-sync reads. */
export interface CwMember {
  id: number;
  identifier: string;
  firstName?: string | null;
  lastName?: string | null;
  officeEmail?: string | null;
  inactiveFlag?: boolean;
  licenseClass?: 'F' | 'A' | 'C' | 'X' | string;
  type?: CwReference | null;
  title?: string | null;
  /** ISO datetime; `1800-01-01T…` is ConnectWise's "empty" value (psa-api-facts §1.9). */
  hireDate?: string | null;
  workRole?: CwReference | null;
  defaultDepartment?: CwReference | null;
  defaultLocation?: CwReference | null;
  /** Older codebases carry plain ids instead of the references above (psa-api-facts §1.9). */
  defaultDepartmentId?: number | null;
  defaultLocationId?: number | null;
}

/** A row of a lookup list: `/system/members/types`, `/system/departments`, `/system/locations`. */
export interface CwNamed {
  id: number;
  name?: string | null;
  identifier?: string | null;
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
