/** Validated `--config` settings of an Autotask account (product.md §8). The secret is `secret`. */
export interface AutotaskSettings {
  /** The API-only user's user name (an email address). */
  userName: string;
  secret: string;
  /** The API tracking identifier ("integration code") the API user was given. */
  integrationCode: string;
  /** The zone's REST base, e.g. https://webservices5.autotask.net/atservicesrest/; discovered when absent. */
  zoneUrl?: string;
  /** Where zones are discovered: `{discoveryUrl}v1.0/zoneInformation?user=…`. Always ends with `/`. */
  discoveryUrl: string;
}

/** The parts of an Autotask `Resource` psa-sync reads (psa-api-facts §5.2). */
export interface AtResource {
  id: number;
  userName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  isActive?: boolean | null;
  licenseType?: number | string | null;
  locationID?: number | null;
  hireDate?: string | null;
  title?: string | null;
}

/** One row of `ResourceRoleDepartments`: a resource's role in a department. */
export interface AtRoleDepartment {
  id: number;
  resourceID: number;
  departmentID: number;
  isDefault?: boolean | null;
  isActive?: boolean | null;
}

/** A named record of a lookup entity (`Departments`, `InternalLocations`). */
export interface AtNamed {
  id: number;
  name?: string | null;
}

/** `{Entity}/entityInformation/fields`: one field, with its picklist when it has one. */
export interface AtField {
  name: string;
  isPickList?: boolean;
  picklistValues?: { value: string | number; label: string; isActive?: boolean }[] | null;
}

/** A query filter item: `{"op":"gt","field":"id","value":0}`. */
export interface AtFilter {
  op: string;
  field: string;
  value: unknown;
}
